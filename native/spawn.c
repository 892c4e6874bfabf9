/*
 * jobctl's process starter (DESIGN.md "The hot path"): vfork + exec instead of fork, on a
 * spawner thread, so the event loop never waits for a child to be scheduled.
 *
 * Node's child_process forks the whole daemon on Linux (libuv <= 1.52): the page tables of a
 * 100 MB process are copied on the event loop's thread, 5-10 ms per start on a 2-core machine.
 * vfork (clone(CLONE_VM | CLONE_VFORK), what glibc's posix_spawn uses) copies nothing,
 * whatever the daemon's size; but vfork suspends its caller until the child execs, and on a
 * busy 2-core machine that wait (the child joining its cgroups, being scheduled, exec) is
 * most of a start. So the loop only hands a start over: submit() copies the plan into C
 * memory and queues it; one of the spawner threads does the vfork and writes the outcome
 * (pid, pipe fds, start time; or the stage and errno of the failure) to the notify pipe.
 *
 * Before its exec the child, with async-signal-safe calls only, resets every signal to its
 * default, starts its own session (setsid), joins its box's cgroups (writes "0" to each
 * cgroup.procs, so not even its first fork happens outside), asks for SIGTERM when the daemon
 * dies (PR_SET_PDEATHSIG: the spawner threads never end, so only the daemon's death fires it),
 * takes stdin from /dev/null and stdout/stderr on two pipes, changes to the working directory
 * and execs, searching the task's PATH for a bare name. One exec per start.
 *
 * Exits are learned through a pidfd per child, watched by one thread with epoll; the thread
 * reaps the child (waitid P_PIDFD) and writes an exit record to the same pipe. A child's
 * "started" record is written before its pidfd is watched, so its exit always comes after it.
 * Only the children started here are reaped: libuv's own children (execa, ssh) are untouched.
 *
 * Records are 8 int32 (32 bytes, written whole: atomic on a pipe):
 *   exit    [1, pid, code (-1: none), signal, 0, 0, 0, 0]
 *   started [2, id, pid, stdout fd, stderr fd, 0, start time low, high (-1: unreadable)]
 *   failed  [3, id, errno, stage (1 setsid 2 join 3 chdir 4 exec 5 stdio 6 pipe2 7 vfork
 *            8 pidfd_open 9 memory), join index, 0, 0, 0]
 *
 * Exported: init(threads) -> notify fd; submit(id, file, argv, envp, cwd, join, pathDirs, pdeathsig);
 * strerror(errno).
 * Needs Linux >= 5.3 (pidfd_open): init() throws where it is missing and jobctl uses
 * child_process instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
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
      int32_t rec[8] = {1, pid, -1, 0, 0, 0, 0, 0};
      if (r == 0 && si.si_code == CLD_EXITED) rec[2] = si.si_status;
      else if (r == 0) rec[3] = si.si_status;
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

static void *spawner(void *arg);

/* A detached thread with every signal blocked: signals stay the main thread's (libuv's handlers). */
static int start_thread(void *(*fn)(void *)) {
  pthread_t t;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&a, 128 * 1024);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&t, &a, fn, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&a);
  return rc;
}

/* init(spawnerThreads) -> the notify pipe's read end. Once per process; later calls return the same fd. */
static napi_value init(napi_env env, napi_callback_info info) {
  if (notify_r >= 0) {
    napi_value out;
    napi_create_int32(env, notify_r, &out);
    return out;
  }
  size_t argc = 1;
  napi_value args[1];
  int32_t threads = 2;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc >= 1) napi_get_value_int32(env, args[0], &threads);
  if (threads < 1) threads = 1;
  if (threads > 8) threads = 8;
  int probe = pidfd_open(getpid());
  if (probe < 0) return throw_errno(env, "pidfd_open", errno);
  close(probe);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return throw_errno(env, "pipe2", errno);
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return throw_errno(env, "epoll_create1", errno);
  notify_r = p[0];
  notify_w = p[1];
  int rc = start_thread(reaper);
  for (int i = 0; rc == 0 && i < threads; i++) rc = start_thread(spawner);
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
  /* {"/bin/sh", <the file, set by the child>, argv[1..], NULL}: for a file without #! (ENOEXEC). */
  char **sh_argv;
  int out_w, err_w;
  pid_t parent;
  /* Written by the child (shared memory until exec): where and why it failed. */
  volatile int fail_stage; /* 0 ok, 1 setsid, 2 join, 3 chdir, 4 exec, 5 stdio */
  volatile int fail_errno;
  volatile int fail_index;
};

/*
 * exec the file; one the kernel cannot run (ENOEXEC: no #! line) is run by /bin/sh, as execvp(3)
 * does and so child_process does. Returns only when both fail (errno set).
 */
static void exec_file(struct plan *p, const char *path) {
  execve(path, p->argv, p->envp);
  if (errno != ENOEXEC || !p->sh_argv) return;
  p->sh_argv[1] = (char *)path;
  execve("/bin/sh", p->sh_argv, p->envp);
}

/*
 * Runs in the vfork child: async-signal-safe calls only, then exec. Never returns. Never inlined:
 * its locals live in a frame of its own below the spawner's, whatever the compiler would do.
 */
__attribute__((noinline, noreturn)) static void child(struct plan *p) {
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
    exec_file(p, p->file);
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
      exec_file(p, buf);
      if (errno != ENOENT && errno != ENOTDIR) seen = errno;
      if (seen == ENOEXEC) break; /* found, but neither it nor /bin/sh could run it: as execvp */
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

/* One start handed over by the loop: everything in C memory, freed by the spawner thread. */
struct job {
  struct job *next;
  int32_t id;
  char *file, *cwd;
  char **argv, **envp, **join, **dirs;
  bool pdeath;
};

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_ready = PTHREAD_COND_INITIALIZER;
static struct job *queue_head = NULL, *queue_tail = NULL;

static void free_job(struct job *j) {
  free(j->file);
  free(j->cwd);
  free_strings(j->argv);
  free_strings(j->envp);
  free_strings(j->join);
  free_strings(j->dirs);
  free(j);
}

static void record(int32_t a, int32_t b, int32_t c, int32_t d, int32_t e, long long t) {
  int32_t rec[8] = {a, b, c, d, e, 0, (int32_t)(t & 0xffffffffLL), (int32_t)(t >> 32)};
  write_all(notify_w, rec, sizeof rec);
}

static void failed(int32_t id, int err, int stage, int index) { record(3, id, err ? err : EIO, stage, index, 0); }

/* Runs on a spawner thread (every signal blocked there): vfork, then report. */
static void run_job(struct job *j) {
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  char **sh_argv = NULL;
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
    failed(j->id, errno, 6, -1);
    goto done;
  }
  /* Prepared here, not in the child (no allocation after vfork); NULL when out of memory (no /bin/sh fallback then). */
  size_t argc = 0;
  while (j->argv[argc]) argc++;
  sh_argv = calloc(argc + 2, sizeof(char *));
  if (sh_argv) {
    sh_argv[0] = "/bin/sh";
    for (size_t i = 1; i < argc; i++) sh_argv[i + 1] = j->argv[i];
  }
  struct plan plan = {
      .file = j->file, .argv = j->argv, .envp = j->envp, .cwd = j->cwd, .join = j->join, .path_dirs = j->dirs,
      .pdeathsig = j->pdeath, .sh_argv = sh_argv, .out_w = out[1], .err_w = err[1], .parent = getpid(),
      .fail_stage = 0, .fail_errno = 0, .fail_index = -1,
  };
  pid_t pid = vfork();
  if (pid == 0) child(&plan);
  if (pid < 0) {
    failed(j->id, errno, 7, -1);
    goto done;
  }
  if (plan.fail_stage != 0) {
    waitpid(pid, NULL, 0);
    failed(j->id, plan.fail_errno, plan.fail_stage, plan.fail_index);
    goto done;
  }
  int pidfd = pidfd_open(pid);
  if (pidfd < 0) {
    int e = errno;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    failed(j->id, e, 8, -1);
    goto done;
  }
  close(out[1]);
  close(err[1]);
  out[1] = err[1] = -1;
  /* The read ends now belong to JavaScript. */
  record(2, j->id, pid, out[0], err[0], start_time_of(pid));
  out[0] = err[0] = -1;
  struct epoll_event ev;
  ev.events = EPOLLIN;
  ev.data.u64 = ((uint64_t)(uint32_t)pid << 32) | (uint32_t)pidfd;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, pidfd, &ev) < 0) {
    /* Cannot watch it: it goes, and its end is reported like any other. */
    kill(pid, SIGKILL);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, (id_t)pid, &si, WEXITED);
    close(pidfd);
    int32_t rec[8] = {1, pid, -1, SIGKILL, 0, 0, 0, 0};
    write_all(notify_w, rec, sizeof rec);
  }
done:
  free(sh_argv);
  for (int i = 0; i < 2; i++) {
    if (out[i] >= 0) close(out[i]);
    if (err[i] >= 0) close(err[i]);
  }
  free_job(j);
}

/* A spawner thread: takes starts off the queue, one at a time, for the life of the daemon. */
static void *spawner(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&queue_lock);
    while (!queue_head) pthread_cond_wait(&queue_ready, &queue_lock);
    struct job *j = queue_head;
    queue_head = j->next;
    if (!queue_head) queue_tail = NULL;
    pthread_mutex_unlock(&queue_lock);
    run_job(j);
  }
  return NULL;
}

/*
 * submit(id, file, argv, envp, cwd, join, pathDirs, pdeathsig): queue a start; its outcome
 * arrives on the notify pipe as a started or failed record with this id. Throws only when the
 * arguments cannot be copied (memory) or init() was not called.
 */
static napi_value submit(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value args[8];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 8 || epfd < 0) {
    napi_throw_error(env, "EINVAL", "submit(id, file, argv, envp, cwd, join, pathDirs, pdeathsig) after init()");
    return NULL;
  }
  struct job *j = calloc(1, sizeof *j);
  if (!j) return throw_errno(env, "submit", ENOMEM);
  napi_get_value_int32(env, args[0], &j->id);
  j->file = to_string(env, args[1]);
  j->argv = to_strings(env, args[2]);
  j->envp = to_strings(env, args[3]);
  j->cwd = to_string(env, args[4]);
  j->join = to_strings(env, args[5]);
  j->dirs = to_strings(env, args[6]);
  napi_get_value_bool(env, args[7], &j->pdeath);
  if (!j->file || !j->argv || !j->envp || !j->cwd || !j->join || !j->dirs) {
    free_job(j);
    return throw_errno(env, "submit", ENOMEM);
  }
  pthread_mutex_lock(&queue_lock);
  if (queue_tail) queue_tail->next = j;
  else queue_head = j;
  queue_tail = j;
  pthread_cond_signal(&queue_ready);
  pthread_mutex_unlock(&queue_lock);
  return NULL;
}

/* strerror(errno): the words of a failure record's errno, as the C library says them. */
static napi_value error_text(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1], out;
  int32_t e = 0;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc >= 1) napi_get_value_int32(env, args[0], &e);
  char buf[256];
  snprintf(buf, sizeof buf, "%s", strerror(e));
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &out);
  return out;
}

/*
 * malloc_trim(0): hand the C heap's free pages back to the system (glibc only; elsewhere it does
 * nothing). A burst of starts frees on the spawner threads what the loop's thread allocated, and
 * a burst of output frees libuv's read buffers: the pages stay counted in the daemon's RSS until
 * trimmed. Returns whether any page went back.
 */
static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value out;
  napi_get_boolean(env, released != 0, &out);
  return out;
}

static napi_value module_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"init", NULL, init, NULL, NULL, NULL, napi_default, NULL},
      {"submit", NULL, submit, NULL, NULL, NULL, napi_default, NULL},
      {"strerror", NULL, error_text, NULL, NULL, NULL, napi_default, NULL},
      {"trim", NULL, trim, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 4, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, module_init)
