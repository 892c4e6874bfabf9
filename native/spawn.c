/*
 * jobctl's process starter (DESIGN.md "The hot path"): posix_spawn instead of fork.
 *
 * Node's child_process forks the whole daemon on Linux (libuv <= 1.52): the page tables of a
 * 100 MB process are copied on the event loop's thread, 5-10 ms per start on a 2-core machine.
 * glibc's posix_spawn uses clone(CLONE_VM | CLONE_VFORK): nothing is copied, whatever the
 * daemon's size. The child gets its own session (setsid), signals back at their defaults and
 * unblocked, stdin from /dev/null, stdout and stderr on two pipes, and the working directory.
 *
 * Exits are learned through a pidfd per child, watched by one thread with epoll; the thread
 * reaps the child (waitid P_PIDFD) and writes one 12-byte record (pid, code, signal) to a
 * pipe that JavaScript reads as a stream, so an exit arrives on the event loop like any I/O.
 * Only the children started here are reaped: libuv's own children (execa, ssh) are untouched.
 *
 * Exported: init() -> notify fd; spawn(file, argv, envp, cwd) -> [pid, stdout fd, stderr fd].
 * Needs Linux >= 5.3 (pidfd_open) and glibc >= 2.29 (posix_spawn_file_actions_addchdir_np);
 * init() throws where they are missing and jobctl uses child_process instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

static int epfd = -1;
static int notify_w = -1;
static int notify_r = -1;

static int pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += n;
    len -= (size_t)n;
  }
}

/* The reaper: one record per child that ended. */
static void *reaper(void *arg) {
  (void)arg;
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(epfd, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return NULL;
    }
    for (int i = 0; i < n; i++) {
      int pidfd = (int)(events[i].data.u64 & 0xffffffffu);
      int32_t pid = (int32_t)(events[i].data.u64 >> 32);
      siginfo_t si;
      memset(&si, 0, sizeof si);
      int r = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0 && si.si_pid == 0) continue; /* not yet (a spurious wake-up) */
      /* r < 0 (ECHILD): reaped by someone else; reported as an exit with no status (-1, 0). */
      int32_t rec[3] = {pid, -1, 0};
      if (r == 0 && si.si_code == CLD_EXITED) rec[1] = si.si_status;
      else if (r == 0) rec[2] = si.si_status;
      epoll_ctl(epfd, EPOLL_CTL_DEL, pidfd, NULL);
      close(pidfd);
      write_all(notify_w, rec, sizeof rec);
    }
  }
  return NULL;
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  char code[32];
  snprintf(code, sizeof code, "%d", err);
  napi_throw_error(env, code, msg);
  return NULL;
}

static napi_value init(napi_env env, napi_callback_info info) {
  (void)info;
  if (notify_r >= 0) {
    napi_value out;
    napi_create_int32(env, notify_r, &out);
    return out;
  }
  int probe = pidfd_open(getpid());
  if (probe < 0) return throw_errno(env, "pidfd_open", errno);
  close(probe);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return throw_errno(env, "pipe2", errno);
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return throw_errno(env, "epoll_create1", errno);
  notify_r = p[0];
  notify_w = p[1];
  pthread_t t;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&a, 64 * 1024);
  /* The reaper blocks every signal: they stay the main thread's (libuv's handlers). */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&t, &a, reaper, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&a);
  if (rc != 0) return throw_errno(env, "pthread_create", rc);
  napi_value out;
  napi_create_int32(env, notify_r, &out);
  return out;
}

/* A JS string array -> NULL-terminated char* array (malloc'd; free with free_strings). */
static char **to_strings(napi_env env, napi_value arr) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc((size_t)n + 1, sizeof(char *));
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len = 0;
    napi_get_element(env, arr, i, &v);
    if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
      out[i] = NULL;
      break;
    }
    out[i] = malloc(len + 1);
    if (!out[i]) break;
    napi_get_value_string_utf8(env, v, out[i], len + 1, &len);
  }
  return out;
}

static void free_strings(char **s) {
  if (!s) return;
  for (char **p = s; *p; p++) free(*p);
  free(s);
}

static char *to_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s) napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static napi_value do_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 4 || epfd < 0) {
    napi_throw_error(env, "EINVAL", "spawn(file, argv, envp, cwd) after init()");
    return NULL;
  }
  char *file = to_string(env, args[0]);
  char **argv = to_strings(env, args[1]);
  char **envp = to_strings(env, args[2]);
  char *cwd = to_string(env, args[3]);
  napi_value result = NULL;
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  int fa_ok = 0, attr_ok = 0;
  int e = 0;
  const char *what = "posix_spawn";
  if (!file || !argv || !envp || !cwd) {
    e = ENOMEM;
    goto done;
  }
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
    e = errno;
    what = "pipe2";
    goto done;
  }
  if ((e = posix_spawn_file_actions_init(&fa)) != 0) goto done;
  fa_ok = 1;
  if ((e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
      (e = posix_spawn_file_actions_adddup2(&fa, out[1], 1)) != 0 ||
      (e = posix_spawn_file_actions_adddup2(&fa, err[1], 2)) != 0 ||
      (e = posix_spawn_file_actions_addchdir_np(&fa, cwd)) != 0)
    goto done;
  if ((e = posix_spawnattr_init(&attr)) != 0) goto done;
  attr_ok = 1;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  if ((e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) != 0) goto done;
  pid_t pid;
  if ((e = posix_spawn(&pid, file, &fa, &attr, argv, envp)) != 0) goto done;
  int pidfd = pidfd_open(pid);
  if (pidfd < 0) {
    /* Cannot happen for our own unreaped child; never leave it unwatched. */
    e = errno;
    what = "pidfd_open";
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    goto done;
  }
  fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  struct epoll_event ev;
  ev.events = EPOLLIN;
  ev.data.u64 = ((uint64_t)(uint32_t)pid << 32) | (uint32_t)pidfd;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, pidfd, &ev) < 0) {
    e = errno;
    what = "epoll_ctl";
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(pidfd);
    goto done;
  }
  close(out[1]);
  close(err[1]);
  out[1] = err[1] = -1;
  napi_create_array_with_length(env, 3, &result);
  napi_value v;
  napi_create_int32(env, pid, &v);
  napi_set_element(env, result, 0, v);
  napi_create_int32(env, out[0], &v);
  napi_set_element(env, result, 1, v);
  napi_create_int32(env, err[0], &v);
  napi_set_element(env, result, 2, v);
  out[0] = err[0] = -1;
done:
  if (fa_ok) posix_spawn_file_actions_destroy(&fa);
  if (attr_ok) posix_spawnattr_destroy(&attr);
  for (int i = 0; i < 2; i++) {
    if (out[i] >= 0) close(out[i]);
    if (err[i] >= 0) close(err[i]);
  }
  free(file);
  free(cwd);
  free_strings(argv);
  free_strings(envp);
  if (!result) return throw_errno(env, what, e ? e : EIO);
  return result;
}

static napi_value module_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"init", NULL, init, NULL, NULL, NULL, napi_default, NULL},
      {"spawn", NULL, do_spawn, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, module_init)
