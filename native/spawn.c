/*
 * jobctl's process starter (DESIGN.md "The hot path"): vfork + exec instead of fork.
 *
 * Node's child_process forks the whole daemon on Linux (libuv <= 1.52): the page tables of a
 * 100 MB process are copied on the event loop's thread, 5-10 ms per start on a 2-core machine.
 * vfork (clone(CLONE_VM | CLONE_VFORK), what glibc's posix_spawn uses) copies nothing,
 * whatever the daemon's size. Before its exec the child, with async-signal-safe calls only,
 * resets every signal to its default, starts its own session (setsid), joins its box's
 * cgroups (writes "0" to each cgroup.procs, so not even its first fork happens outside),
 * asks for SIGTERM when the daemon dies (PR_SET_PDEATHSIG), takes stdin from /dev/null and
 * stdout/stderr on two pipes, changes to the working directory and execs, searching the
 * task's PATH for a bare name. One exec per start: no join shell, no setpriv.
 *
 * Exits are learned through a pidfd per child, watched by one thread with epoll; the thread
 * reaps the child (waitid P_PIDFD) and writes one 12-byte record (pid, code, signal) to a
 * pipe that JavaScript reads as a stream, so an exit arrives on the event loop like any I/O.
 * Only the children started here are reaped: libuv's own children (execa, ssh) are untouched.
 *
 * Exported: init() -> notify fd; spawn(...) -> [pid, stdout fd, stderr fd, start time].
 * Needs Linux >= 5.3 (pidfd_open): init() throws where it is missing and jobctl uses
 * child_process instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
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

/* What the vfork child needs, prepared by the parent: nothing is allocated in the child. */
struct plan {
  const char *file;     /* a path, or a name searched in path_dirs */
  char *const *argv;
  char *const *envp;
  const char *cwd;
  char *const *join;    /* cgroup.procs files to write "0" to, NULL-terminated */
  char *const *path_dirs;
  int pdeathsig;
  int out_w, err_w;
  pid_t parent;
  /* Written by the child (shared memory until exec): where and why it failed. */
  volatile int fail_stage; /* 0 ok, 1 setsid, 2 join, 3 chdir, 4 exec, 5 stdio */
  volatile int fail_errno;
  volatile int fail_index;
};

/* Runs in the vfork child: async-signal-safe calls only, then exec. Never returns. */
static void child(struct plan *p) {
  /* Signals at their defaults (a handler of the parent must never run here), then unblocked below. */
  for (int s = 1; s < NSIG; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(s, &sa, NULL);
  }
  if (setsid() < 0) {
    p->fail_stage = 1;
    p->fail_errno = errno;
    _exit(127);
  }
  for (int i = 0; p->join[i]; i++) {
    int fd = open(p->join[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) {
      p->fail_stage = 2;
      p->fail_errno = errno;
      p->fail_index = i;
      _exit(125);
    }
    close(fd);
  }
  if (p->pdeathsig) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != p->parent) _exit(143); /* the daemon died before this line */
  }
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(p->out_w, 1) < 0 || dup2(p->err_w, 2) < 0) {
    p->fail_stage = 5;
    p->fail_errno = errno;
    _exit(127);
  }
  if (devnull > 2) close(devnull);
  if (chdir(p->cwd) < 0) {
    p->fail_stage = 3;
    p->fail_errno = errno;
    _exit(127);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (strchr(p->file, '/')) {
    execve(p->file, p->argv, p->envp);
    p->fail_errno = errno;
  } else {
    /* execvpe would search the daemon's PATH: search the task's, in a buffer on this stack. */
    char buf[4096];
    int seen = ENOENT;
    size_t flen = strlen(p->file);
    for (int i = 0; p->path_dirs[i]; i++) {
      size_t dlen = strlen(p->path_dirs[i]);
      if (dlen == 0 || dlen + flen + 2 > sizeof buf) continue;
      memcpy(buf, p->path_dirs[i], dlen);
      buf[dlen] = '/';
      memcpy(buf + dlen + 1, p->file, flen + 1);
      execve(buf, p->argv, p->envp);
      if (errno != ENOENT && errno != ENOTDIR) seen = errno;
    }
    p->fail_errno = seen;
  }
  p->fail_stage = 4;
  _exit(127);
}

/* Field 22 of /proc/<pid>/stat: the start time in clock ticks (-1 when unreadable). */
static long long start_time_of(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  p += 2; /* field 3 */
  for (int field = 3; field < 22 && *p; p++)
    if (*p == ' ') field++;
  return *p ? strtoll(p, NULL, 10) : -1;
}

static const char *STAGES[] = {"", "setsid", "join", "chdir", "exec", "stdio"};

/*
 * spawn(file, argv, envp, cwd, join, pathDirs, pdeathsig) -> [pid, stdout fd, stderr fd, start time]
 * Throws an Error with `code` (errno name number) and `stage` (join: also `index`) when the
 * child could not reach its exec; that child is reaped before the throw.
 */
static napi_value do_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 7 || epfd < 0) {
    napi_throw_error(env, "EINVAL", "spawn(file, argv, envp, cwd, join, pathDirs, pdeathsig) after init()");
    return NULL;
  }
  char *file = to_string(env, args[0]);
  char **argv = to_strings(env, args[1]);
  char **envp = to_strings(env, args[2]);
  char *cwd = to_string(env, args[3]);
  char **join = to_strings(env, args[4]);
  char **dirs = to_strings(env, args[5]);
  bool pdeath = false;
  napi_get_value_bool(env, args[6], &pdeath);
  napi_value result = NULL;
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  int e = 0;
  const char *what = "spawn";
  int index = -1;
  if (!file || !argv || !envp || !cwd || !join || !dirs) {
    e = ENOMEM;
    goto done;
  }
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
    e = errno;
    what = "pipe2";
    goto done;
  }
  struct plan plan = {
      .file = file, .argv = argv, .envp = envp, .cwd = cwd, .join = join, .path_dirs = dirs,
      .pdeathsig = pdeath, .out_w = out[1], .err_w = err[1], .parent = getpid(),
      .fail_stage = 0, .fail_errno = 0, .fail_index = -1,
  };
  /* No signal may reach the child before it has reset the handlers it shares with us. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = vfork();
  if (pid == 0) child(&plan);
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) {
    e = fork_errno;
    what = "vfork";
    goto done;
  }
  if (plan.fail_stage != 0) {
    waitpid(pid, NULL, 0);
    e = plan.fail_errno ? plan.fail_errno : EIO;
    what = STAGES[plan.fail_stage];
    index = plan.fail_index;
    goto done;
  }
  int pidfd = pidfd_open(pid);
  if (pidfd < 0) {
    e = errno;
    what = "pidfd_open";
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    goto done;
  }
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
  napi_create_array_with_length(env, 4, &result);
  napi_value v;
  napi_create_int32(env, pid, &v);
  napi_set_element(env, result, 0, v);
  napi_create_int32(env, out[0], &v);
  napi_set_element(env, result, 1, v);
  napi_create_int32(env, err[0], &v);
  napi_set_element(env, result, 2, v);
  napi_create_double(env, (double)start_time_of(pid), &v);
  napi_set_element(env, result, 3, v);
  out[0] = err[0] = -1;
done:
  for (int i = 0; i < 2; i++) {
    if (out[i] >= 0) close(out[i]);
    if (err[i] >= 0) close(err[i]);
  }
  free(file);
  free(cwd);
  free_strings(argv);
  free_strings(envp);
  free_strings(join);
  free_strings(dirs);
  if (!result) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(e ? e : EIO));
    napi_value error, code, message, stage, idx;
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
    napi_create_int32(env, e ? e : EIO, &code);
    napi_create_error(env, NULL, message, &error);
    napi_set_named_property(env, error, "errno", code);
    napi_create_string_utf8(env, what, NAPI_AUTO_LENGTH, &stage);
    napi_set_named_property(env, error, "stage", stage);
    napi_create_int32(env, index, &idx);
    napi_set_named_property(env, error, "index", idx);
    napi_throw(env, error);
    return NULL;
  }
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
