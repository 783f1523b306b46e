/*
 * unilat-runner: the one remote command runner of an SSH connection (docs/architecture.md,
 * "Transport"). The controller starts it once per host and run over an SSH exec channel, then
 * sends it length-prefixed frames on stdin; it answers with frames on stdout. It runs only what
 * arrives on that channel, never listens on a socket, and gets every command as an argument
 * vector (execvp, no shell in between).
 *
 * Frame: u32 length (big endian) of what follows, u8 type, u32 id, payload.
 *   controller -> runner: 'S' spawn (u32 argc, u32 envc, then argc + envc strings, each u32
 *                         length + bytes; env strings are NAME=VALUE), 'I' stdin bytes (empty:
 *                         close stdin), 'K' kill (u32 signal number; to the command's process group),
 *                         'W' write a file (u32 mode, 0xffffffff: keep an existing file's; then
 *                         the path; its bytes follow as 'I' frames, the empty one ends it: written
 *                         to a temporary name beside it, then renamed over it), 'R' read a file
 *                         (the path; its bytes come back as 'O' frames)
 *   runner -> controller: 'P' started (u32 pid), 'F' could not start (u32 errno, message),
 *                         'O' stdout bytes, 'E' stderr bytes, 'X' ended (u8 0: exit code,
 *                         1: signal; u32 value), sent once the command ended and both of its
 *                         outputs are closed; a file operation ends with 'X' (exit 0) or 'F'
 * Before the first frame it prints the line "@@unilat-runner:ready PID" so the controller can tell
 * login-shell noise from the frames. End of file on stdin (the controller or the connection is
 * gone) ends the runner; the commands it started go on, as they would after ssh(1) lost them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FRAME (64u << 20)
#define CHUNK 65536

struct child {
  uint32_t id;
  pid_t pid;
  int in, out, err; /* -1 once closed */
  char *inbuf;      /* stdin bytes the command has not read yet */
  size_t inlen, inoff;
  int inclose; /* close stdin once inbuf is written */
  int exited, status;
  int gone; /* its end is sent; freed by sweep() */
  struct child *next;
};

static struct child *children;

/* A file being written ('W'): its bytes go to `tmp`, renamed to `path` at the end. */
struct upload {
  uint32_t id;
  int fd;
  uint32_t mode;
  char *path, *tmp;
  struct upload *next;
};
static struct upload *uploads;
#define KEEP_MODE 0xffffffffu
static int wake[2]; /* SIGCHLD -> a byte here */

static void put32(unsigned char *p, uint32_t v) {
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Writes to the controller; when it is gone there is nobody left to serve. */
static void write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(0);
    }
    p += w;
    n -= (size_t)w;
  }
}

static void send_frame(char type, uint32_t id, const void *a, size_t alen, const void *b, size_t blen) {
  unsigned char *f = malloc(9 + alen + blen);
  if (!f) _exit(71);
  put32(f, (uint32_t)(5 + alen + blen));
  f[4] = (unsigned char)type;
  put32(f + 5, id);
  if (alen) memcpy(f + 9, a, alen);
  if (blen) memcpy(f + 9 + alen, b, blen);
  write_all(1, f, 9 + alen + blen);
  free(f);
}

static void send_u32(char type, uint32_t id, uint32_t v) {
  unsigned char b[4];
  put32(b, v);
  send_frame(type, id, b, 4, NULL, 0);
}

static void send_failed(uint32_t id, int e, const char *what) {
  unsigned char b[4];
  const char *m = strerror(e);
  char msg[512];
  snprintf(msg, sizeof msg, "%s: %s", what, m);
  put32(b, (uint32_t)e);
  send_frame('F', id, b, 4, msg, strlen(msg));
}

static void on_sigchld(int sig) {
  int saved = errno;
  (void)sig;
  if (write(wake[1], "", 1) < 0) {
    /* the pipe is full: a wake-up is pending anyway */
  }
  errno = saved;
}

static void cloexec(int fd) { fcntl(fd, F_SETFD, FD_CLOEXEC); }
static void nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static int pipe_cloexec(int p[2]) {
  if (pipe(p) < 0) return -1;
  cloexec(p[0]);
  cloexec(p[1]);
  return 0;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static struct child *find(uint32_t id) {
  for (struct child *c = children; c; c = c->next)
    if (c->id == id && !c->gone) return c;
  return NULL;
}

/* Sends the end once the command exited and both outputs are drained. */
static void maybe_done(struct child *c) {
  if (c->gone || !c->exited || c->out >= 0 || c->err >= 0) return;
  unsigned char b[5];
  if (WIFSIGNALED(c->status)) {
    b[0] = 1;
    put32(b + 1, (uint32_t)WTERMSIG(c->status));
  } else {
    b[0] = 0;
    put32(b + 1, (uint32_t)WEXITSTATUS(c->status));
  }
  send_frame('X', c->id, b, 5, NULL, 0);
  close_fd(&c->in);
  c->gone = 1;
}

/* Frees the commands whose end was sent (not while a loop over the list runs). */
static void sweep(void) {
  for (struct child **pp = &children; *pp;) {
    struct child *c = *pp;
    if (!c->gone) {
      pp = &c->next;
      continue;
    }
    *pp = c->next;
    free(c->inbuf);
    free(c);
  }
}

/* Parses `n` length-prefixed strings from p..end into a NULL-terminated array. */
static char **strings(const unsigned char **p, const unsigned char *end, uint32_t n) {
  if (n > 1u << 20) return NULL;
  char **v = calloc(n + 1, sizeof *v);
  if (!v) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    if (end - *p < 4) return NULL;
    uint32_t len = get32(*p);
    *p += 4;
    if ((uint32_t)(end - *p) < len) return NULL;
    v[i] = malloc(len + 1);
    if (!v[i]) return NULL;
    memcpy(v[i], *p, len);
    v[i][len] = 0;
    if (strlen(v[i]) != len) return NULL; /* a NUL inside: not representable in argv */
    *p += len;
  }
  return v;
}

static void free_strings(char **v) {
  if (!v) return;
  for (char **s = v; *s; s++) free(*s);
  free(v);
}

static void spawn(uint32_t id, const unsigned char *p, size_t n) {
  const unsigned char *end = p + n;
  if (find(id) || n < 8) return send_failed(id, EINVAL, "bad spawn frame");
  uint32_t argc = get32(p), envc = get32(p + 4);
  p += 8;
  char **argv = strings(&p, end, argc);
  char **envv = argv ? strings(&p, end, envc) : NULL;
  if (!argv || !envv || argc == 0 || p != end) {
    free_strings(argv);
    free_strings(envv);
    return send_failed(id, EINVAL, "bad spawn frame");
  }
  int in[2], out[2], err[2], ex[2];
  if (pipe_cloexec(in) < 0 || pipe_cloexec(out) < 0 || pipe_cloexec(err) < 0 || pipe_cloexec(ex) < 0) {
    int e = errno;
    free_strings(argv);
    free_strings(envv);
    return send_failed(id, e, "pipe");
  }
  pid_t pid = fork();
  if (pid == 0) {
    /* A session and process group of its own, as sshd gives each command: a kill reaches all of it. */
    sigset_t none;
    sigemptyset(&none);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (char **e = envv; *e; e++) putenv(*e);
    execvp(argv[0], argv);
    int e = errno;
    if (write(ex[1], &e, sizeof e) < 0) {
      /* the runner learns of it from the exit status */
    }
    _exit(127);
  }
  int fork_errno = errno;
  close(in[0]);
  close(out[1]);
  close(err[1]);
  close(ex[1]);
  if (pid < 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    close(ex[0]);
    free_strings(argv);
    free_strings(envv);
    return send_failed(id, fork_errno, "fork");
  }
  int e = 0;
  ssize_t r;
  do r = read(ex[0], &e, sizeof e);
  while (r < 0 && errno == EINTR);
  close(ex[0]);
  if (r == (ssize_t)sizeof e) {
    /* exec failed: the child is gone at once; reap it here so nobody reports it */
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    close(in[1]);
    close(out[0]);
    close(err[0]);
    send_failed(id, e, argv[0]);
    free_strings(argv);
    free_strings(envv);
    return;
  }
  free_strings(argv);
  free_strings(envv);
  struct child *c = calloc(1, sizeof *c);
  if (!c) _exit(71);
  c->id = id;
  c->pid = pid;
  c->in = in[1];
  c->out = out[0];
  c->err = err[0];
  nonblock(c->in);
  nonblock(c->out);
  nonblock(c->err);
  c->next = children;
  children = c;
  send_u32('P', id, (uint32_t)pid);
}

/* Writes what the command's stdin can take now; closes it when asked and everything is written. */
static void feed(struct child *c) {
  while (c->in >= 0 && c->inoff < c->inlen) {
    ssize_t w = write(c->in, c->inbuf + c->inoff, c->inlen - c->inoff);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      /* EPIPE: the command does not read its stdin any more; the rest is dropped */
      close_fd(&c->in);
      break;
    }
    c->inoff += (size_t)w;
  }
  if (c->inoff == c->inlen) {
    free(c->inbuf);
    c->inbuf = NULL;
    c->inlen = c->inoff = 0;
    if (c->inclose) close_fd(&c->in);
  }
}

static void on_stdin(uint32_t id, const unsigned char *p, size_t n) {
  struct child *c = find(id);
  if (!c || c->in < 0) return;
  if (n == 0) {
    c->inclose = 1;
  } else {
    char *b = realloc(c->inbuf, c->inlen + n);
    if (!b) _exit(71);
    memcpy(b + c->inlen, p, n);
    c->inbuf = b;
    c->inlen += n;
  }
  feed(c);
}

static void on_kill(uint32_t id, const unsigned char *p, size_t n) {
  struct child *c = find(id);
  if (!c || n != 4) return;
  int sig = (int)get32(p);
  /* The group outlives its leader while members remain; the leader itself only until reaped. */
  if (kill(-c->pid, sig) < 0 && !c->exited) kill(c->pid, sig);
}

/* The payload as a C string; NULL when it holds a NUL (no such path). */
static char *path_of(const unsigned char *p, size_t n) {
  if (memchr(p, 0, n) || n == 0) return NULL;
  char *s = malloc(n + 1);
  if (!s) _exit(71);
  memcpy(s, p, n);
  s[n] = 0;
  return s;
}

/* Makes the folders above `path` that are missing (mkdir -p of its parent). */
static int make_parents(const char *path, uint32_t id) {
  char *d = strdup(path);
  if (!d) _exit(71);
  for (char *q = d + 1; (q = strchr(q, '/')); q++) {
    *q = 0;
    struct stat st;
    if (mkdir(d, 0777) < 0 && errno != EEXIST) {
      send_failed(id, errno, d);
      free(d);
      return -1;
    }
    if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode)) {
      char m[4200];
      snprintf(m, sizeof m, "%s exists and is not a directory", d);
      unsigned char b[4];
      put32(b, ENOTDIR);
      send_frame('F', id, b, 4, m, strlen(m));
      free(d);
      return -1;
    }
    *q = '/';
  }
  free(d);
  return 0;
}

static void on_write_open(uint32_t id, const unsigned char *p, size_t n) {
  static unsigned counter;
  char *path = n > 4 ? path_of(p + 4, n - 4) : NULL;
  if (!path) return send_failed(id, EINVAL, "bad write frame");
  uint32_t mode = get32(p);
  if (make_parents(path, id) < 0) return free(path);
  struct stat st;
  if (mode == KEEP_MODE && stat(path, &st) == 0) mode = st.st_mode & 07777;
  size_t tl = strlen(path) + 32;
  char *tmp = malloc(tl);
  if (!tmp) _exit(71);
  snprintf(tmp, tl, "%s.unilat-%lx%x", path, (long)getpid(), ++counter);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    send_failed(id, errno, path);
    free(path);
    free(tmp);
    return;
  }
  struct upload *u = calloc(1, sizeof *u);
  if (!u) _exit(71);
  *u = (struct upload){id, fd, mode, path, tmp, uploads};
  uploads = u;
}

/* Takes a file's bytes; the empty chunk ends it (mode, rename). Returns 0 when `id` is no upload. */
static int on_upload_data(uint32_t id, const unsigned char *p, size_t n) {
  struct upload **pp = &uploads;
  while (*pp && (*pp)->id != id) pp = &(*pp)->next;
  struct upload *u = *pp;
  if (!u) return 0;
  int e = 0, last = n == 0;
  while (n > 0 && !e) {
    ssize_t w = write(u->fd, p, n);
    if (w < 0 && errno != EINTR) e = errno;
    if (w > 0) {
      p += w;
      n -= (size_t)w;
    }
  }
  if (!e && !last) return 1;
  if (!e && u->mode != KEEP_MODE && fchmod(u->fd, u->mode) < 0) e = errno;
  if (close(u->fd) < 0 && !e) e = errno;
  if (!e && rename(u->tmp, u->path) < 0) e = errno;
  if (e) {
    unlink(u->tmp);
    send_failed(id, e, u->path);
  } else {
    unsigned char b[5] = {0, 0, 0, 0, 0};
    send_frame('X', id, b, 5, NULL, 0);
  }
  *pp = u->next;
  free(u->path);
  free(u->tmp);
  free(u);
  return 1;
}

static void on_read(uint32_t id, const unsigned char *p, size_t n) {
  char *path = path_of(p, n);
  if (!path) return send_failed(id, EINVAL, "bad read frame");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  int e = fd < 0 ? errno : fstat(fd, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
  char buf[CHUNK];
  while (!e) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) e = errno;
    if (r <= 0) break;
    send_frame('O', id, buf, (size_t)r, NULL, 0);
  }
  if (fd >= 0) close(fd);
  if (e) send_failed(id, e, path);
  else {
    unsigned char b[5] = {0, 0, 0, 0, 0};
    send_frame('X', id, b, 5, NULL, 0);
  }
  free(path);
}

static void frame(const unsigned char *f, size_t n) {
  char type = (char)f[0];
  uint32_t id = get32(f + 1);
  const unsigned char *p = f + 5;
  size_t len = n - 5;
  switch (type) {
  case 'S':
    spawn(id, p, len);
    break;
  case 'I':
    if (!on_upload_data(id, p, len)) on_stdin(id, p, len);
    break;
  case 'W':
    on_write_open(id, p, len);
    break;
  case 'R':
    on_read(id, p, len);
    break;
  case 'K':
    on_kill(id, p, len);
    break;
  default:
    fprintf(stderr, "unilat-runner: unknown frame type %d\n", type);
    _exit(65);
  }
}

static void reap(void) {
  char drain[64];
  while (read(wake[0], drain, sizeof drain) > 0) {
  }
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) return;
    for (struct child *c = children; c; c = c->next)
      if (c->pid == pid && !c->exited) {
        c->exited = 1;
        c->status = st;
        maybe_done(c);
        break;
      }
  }
}

/* Reads one output of a command and forwards it; closes it at end of file. */
static void drain(struct child *c, int *fd, char type) {
  char buf[CHUNK];
  ssize_t r = read(*fd, buf, sizeof buf);
  if (r > 0) {
    send_frame(type, c->id, buf, (size_t)r, NULL, 0);
    return;
  }
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
  close_fd(fd);
  maybe_done(c);
}

int main(void) {
  /* Nothing inherited past stdio: commands get their own pipes and no way to the channel. */
  for (int fd = 3; fd < 1024; fd++) close(fd);
  signal(SIGPIPE, SIG_IGN);
  if (pipe_cloexec(wake) < 0) return 70;
  nonblock(wake[0]);
  nonblock(wake[1]);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, NULL);

  char ready[64];
  int rl = snprintf(ready, sizeof ready, "\n@@unilat-runner:ready %ld\n", (long)getpid());
  write_all(1, ready, (size_t)rl);

  unsigned char *in = NULL;
  size_t inlen = 0, incap = 0;
  size_t nfds = 0;
  struct pollfd *fds = NULL;
  for (;;) {
    sweep();
    size_t want = 2;
    for (struct child *c = children; c; c = c->next) want += 3;
    if (want > nfds) {
      fds = realloc(fds, want * sizeof *fds);
      if (!fds) return 71;
      nfds = want;
    }
    size_t k = 0;
    fds[k++] = (struct pollfd){0, POLLIN, 0};
    fds[k++] = (struct pollfd){wake[0], POLLIN, 0};
    for (struct child *c = children; c; c = c->next) {
      fds[k++] = (struct pollfd){c->out, POLLIN, 0};
      fds[k++] = (struct pollfd){c->err, POLLIN, 0};
      fds[k++] = (struct pollfd){c->inlen > c->inoff ? c->in : -1, POLLOUT, 0};
    }
    if (poll(fds, k, -1) < 0) {
      if (errno == EINTR) continue;
      return 70;
    }
    if (fds[1].revents) reap();
    /* The list is as it was when fds was built (spawns come later, frees in sweep()). */
    size_t i = 2;
    for (struct child *c = children; c; c = c->next, i += 3) {
      struct pollfd *o = &fds[i], *e = &fds[i + 1], *w = &fds[i + 2];
      if (o->fd >= 0 && o->fd == c->out && o->revents) drain(c, &c->out, 'O');
      if (e->fd >= 0 && e->fd == c->err && e->revents) drain(c, &c->err, 'E');
      if (w->fd >= 0 && w->fd == c->in && w->revents) {
        if (w->revents & (POLLERR | POLLHUP)) close_fd(&c->in);
        else feed(c);
      }
    }
    if (fds[0].revents) {
      if (incap - inlen < CHUNK) {
        incap = incap * 2 + CHUNK;
        in = realloc(in, incap);
        if (!in) return 71;
      }
      ssize_t r = read(0, in + inlen, incap - inlen);
      if (r == 0) return 0;
      if (r < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return 0;
      }
      inlen += (size_t)r;
      size_t off = 0;
      while (inlen - off >= 4) {
        uint32_t len = get32(in + off);
        if (len < 5 || len > MAX_FRAME) {
          fprintf(stderr, "unilat-runner: bad frame length %u\n", len);
          return 65;
        }
        if (inlen - off - 4 < len) break;
        frame(in + off + 4, len);
        off += 4 + len;
      }
      memmove(in, in + off, inlen - off);
      inlen -= off;
    }
  }
}
