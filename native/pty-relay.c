/*
 * pty-relay: the trainee's terminal without the engine in the data path (src/runtime/docker/pty-relays.ts).
 *
 * Runs as the container's main process: `pty-relay [-s US] [-w MS] SOCKET PROGRAM [ARG...]`. It opens a pseudo-terminal in the
 * container, starts PROGRAM on it (a new session, the terminal its controlling TTY) and connects to SOCKET, a
 * unix socket ISLET listens on, bound read-only into this container only. Bytes PROGRAM writes go to the socket
 * as they are; from the socket come frames: 'D' + u32 length (big endian) + bytes for the terminal's input, or
 * 'R' + u32 4 + u16 rows + u16 cols for a window size. Why: with the engine's attach every keystroke and every
 * echo crosses dockerd and the container's shim, two more processes to wake per direction (about 350-540 us of
 * CPU per keystroke on the benchmark VM: docs/performance.md, "The data path's CPU cost").
 *
 * Contract:
 * - Exit status is PROGRAM's (128 + signal when a signal ended it), after PROGRAM's last output was sent (or the
 *   socket could not take it within a second): the container's life is PROGRAM's, as without the relay.
 * - When the socket closes or cannot be reached (ISLET restarting), PROGRAM runs on; the relay keeps the newest
 *   OUT_MAX bytes of output and tries to connect again after RETRY_MS, then less often, up to once a second
 *   (a container left running while no server listens costs little). When another listener replaced SOCKET's file (a
 *   second ISLET server attaching), the server it is connected to closes the connection (ISLET watches the socket's
 *   directory) and the relay connects to the newest listener at once. As a safety net for a server that does not
 *   (stuck, or too old to watch), the relay checks SOCKET's file itself every CHECK_MS (`-w MS` to change it) and
 *   moves over when it was replaced. Why not every second, as until 2026-12-05: a timed wake-up per idle terminal
 *   is CPU a room of idle trainees costs the host (1000 idle relays: about 0.12 cores on the benchmark VM,
 *   docs/performance.md, "Idle sessions' CPU"); an idle connected relay now sleeps in poll until CHECK_MS.
 * - Bounded memory: at most OUT_MAX bytes of output and IN_MAX bytes of input are held; past that it stops reading
 *   the side that is ahead, so a slow reader slows the writer (as a terminal does), never the relay's memory.
 * - As PID 1 it reaps every orphan, and it passes SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to PROGRAM's
 *   process group (PID 1 ignores signals it has no handler for, so `docker stop` needs this to end PROGRAM).
 * - It trusts nothing it reads: a malformed frame ends the connection (and it connects again), never the relay.
 * - Out of memory: PROGRAM (and all it starts) runs with oom_score_adj PROGRAM_OOM_ADJ, the relay with the
 *   container's (0), so within the container's memory limit the kernel never picks the relay over PROGRAM's
 *   processes, and in a host-wide shortage it picks trainees' processes before the host's services. When the
 *   kernel's OOM killer ends PROGRAM itself (SIGKILL while the container's oom_kill count rose, as when a
 *   bomb's memory was not yet freed and the next kill fell on the shell), the relay says so on the terminal and
 *   starts PROGRAM again, at most RESPAWN_MAX times in RESPAWN_WINDOW_MS; any other end of PROGRAM ends the relay.
 * - `-s US` (US > 0): the relay and PROGRAM itself ask the fair scheduler for a slice of US microseconds
 *   (sched_setattr's sched_runtime, Linux 6.12 and later; older kernels take the call and ignore it), with
 *   SCHED_RESET_ON_FORK so that everything PROGRAM starts runs with the kernel's default slice. Why: the relay and
 *   the shell wake for every keystroke and run for microseconds; in the containers' run queue a woken thread at the
 *   default slice gets a virtual deadline behind most of the queued jobs, and a shorter slice brings it sooner and
 *   lets it preempt, changing when it runs, not how much (its share stays its weight's). In the interleaved A/B this
 *   did not shorten the echo tail measurably (docs/performance.md, "The terminal's slice"), so ISLET passes -s only
 *   when `runtime.terminal_slice_us` is set. A failed call (a seccomp profile without sched_setattr) leaves the
 *   default: the terminal works as before.
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
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define OUT_MAX (256 * 1024)
#define IN_MAX (128 * 1024)
#define FRAME_MAX (64 * 1024)
#define RETRY_MS 50
#define RETRY_MAX_MS 1000
#define CHECK_MS 60000
#define PROGRAM_OOM_ADJ "100"
#define RESPAWN_MAX 3
#define RESPAWN_WINDOW_MS 60000
#define OOM_NOTICE "\r\n[islet] Out of memory: the kernel ended this program at the container's memory limit. Starting it again; your files are kept.\r\n"

static volatile sig_atomic_t pending_signal = 0;
static volatile sig_atomic_t child_changed = 0;
static int sigpipe_fds[2] = {-1, -1};

static void on_signal(int sig) {
  int saved = errno;
  if (sig == SIGCHLD) child_changed = 1;
  else pending_signal = sig;
  char b = 0;
  if (write(sigpipe_fds[1], &b, 1) < 0) { /* the pipe is full: a wake-up is already pending */ }
  errno = saved;
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A byte queue (output to the socket, or input to the terminal). */
struct queue {
  char *buf;
  size_t cap, start, len;
};

static void q_push(struct queue *q, const char *p, size_t n, int drop_oldest) {
  if (n > q->cap) { p += n - q->cap; n = q->cap; }
  if (q->len + n > q->cap) {
    if (!drop_oldest) n = q->cap - q->len;
    else { size_t drop = q->len + n - q->cap; q->start = (q->start + drop) % q->cap; q->len -= drop; }
  }
  for (size_t i = 0; i < n; i++) q->buf[(q->start + q->len + i) % q->cap] = p[i];
  q->len += n;
}

/* Writes as much of the queue as `fd` takes now; -1 on a write error other than EAGAIN. */
static int q_flush(struct queue *q, int fd) {
  while (q->len > 0) {
    size_t chunk = q->cap - q->start < q->len ? q->cap - q->start : q->len;
    ssize_t w = write(fd, q->buf + q->start, chunk);
    if (w < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    q->start = (q->start + (size_t)w) % q->cap;
    q->len -= (size_t)w;
  }
  return 0;
}

/* The socket file's inode when the relay last connected: another ISLET listening on SOCKET makes a new one. */
static ino_t connected_ino = 0;

static ino_t inode_of(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? st.st_ino : 0;
}

static int connect_to(const char *path) {
  connected_ino = inode_of(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* The container's count of OOM kills (cgroup v2's memory.events, v1's memory.oom_control); -1 when unreadable. */
static long long oom_kills(void) {
  static const char *paths[] = {"/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    FILE *f = fopen(paths[i], "re");
    if (!f) continue;
    char line[128];
    long long n = -1;
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "oom_kill %lld", &n) == 1) break;
    fclose(f);
    if (n >= 0) return n;
  }
  return -1;
}

/* struct sched_attr (version 0, 48 bytes; linux/sched/types.h), declared here: libc headers do not all carry it. */
struct slice_attr {
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
};
#define SLICE_SCHED_OTHER 0
#define SLICE_RESET_ON_FORK 0x01

/* Asks for a slice of `us` microseconds for the calling thread, its children reset to the default (see -s above). */
static void ask_slice(long us) {
#ifdef SYS_sched_setattr
  if (us <= 0) return;
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  if (errno != 0) return;
  struct slice_attr a = {.size = sizeof a, .policy = SLICE_SCHED_OTHER, .flags = SLICE_RESET_ON_FORK, .nice = nice,
                         .runtime = (uint64_t)us * 1000};
  if (syscall(SYS_sched_setattr, 0, &a, 0) != 0) { /* not allowed or not known here: the default slice stays */ }
#else
  (void)us;
#endif
}

/* The slice `-s` asked for (microseconds), 0 for the kernel's default. */
static long slice_us = 0;

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD};
#define NFORWARDED (sizeof forwarded / sizeof *forwarded)

/*
 * Writes "pty-relay: cannot run PROGRAM: REASON" to stderr (the terminal, by then) with write(2) alone: the vfork
 * child may not touch stdio. strerrordesc_np (glibc 2.32) reads a constant table: no locale, no allocation.
 */
static void say_cannot_run(const char *program, int err) {
  const char *why = strerrordesc_np(err);
  if (!why) why = "unknown error";
  static const char a[] = "pty-relay: cannot run ", b[] = ": ", c[] = "\r\n";
  if (write(2, a, sizeof a - 1) < 0 || write(2, program, strlen(program)) < 0 || write(2, b, sizeof b - 1) < 0 ||
      write(2, why, strlen(why)) < 0 || write(2, c, sizeof c - 1) < 0) { /* nowhere to say it */ }
}

/*
 * Starts PROGRAM on the terminal `slave_name` as the leader of a new session; -1 when that fails. The relay opens
 * the terminal before forking and closes it after, so between an ended PROGRAM and the next one no moment passes
 * in which the new one is running but nobody holds the terminal open (reading the master would then say EIO, the
 * relay's sign that PROGRAM and all it started are gone, and it would stop reading PROGRAM's output).
 *
 * vfork, not fork: the child borrows the relay's memory until it execs, so no page tables are copied and no page
 * is copied on write (a container start pays for every one of those on a busy host). The price is the vfork
 * contract, kept below: until exec the child only makes system calls on its own locals (no stdio, no malloc, no
 * static written), and every signal is blocked across the vfork, so no relay handler runs in the child before
 * its dispositions are back to the defaults.
 */
static pid_t spawn(const char *slave_name, char **program) {
  int slave = open(slave_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return -1;
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid_t child = vfork();
  if (child != 0) {
    int err = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(slave);
    errno = err;
    return child;
  }
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (size_t i = 0; i < NFORWARDED; i++) sigaction(forwarded[i], &dfl, NULL);
  sigaction(SIGPIPE, &dfl, NULL);
  sigprocmask(SIG_SETMASK, &old, NULL);
  /* PROGRAM's own slice; with SCHED_RESET_ON_FORK, so what it starts runs at the default one. */
  ask_slice(slice_us);
  /* Raising one's own score needs no privilege; a trainee can lower it back to the container's, no further. */
  int adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (adj >= 0) {
    if (write(adj, PROGRAM_OOM_ADJ, strlen(PROGRAM_OOM_ADJ)) < 0) { /* the relay then merely ties with PROGRAM */ }
    close(adj);
  }
  setsid();
  ioctl(slave, TIOCSCTTY, 0);
  dup2(slave, 0);
  dup2(slave, 1);
  dup2(slave, 2);
  if (slave > 2) close(slave);
  execvp(program[0], program);
  say_cannot_run(program[0], errno);
  _exit(127);
}

int main(int argc, char **argv) {
  long long check_ms = CHECK_MS;
  while (argc >= 3 && (strcmp(argv[1], "-s") == 0 || strcmp(argv[1], "-w") == 0)) {
    char *end = NULL;
    long v = strtol(argv[2], &end, 10);
    if (argv[1][1] == 's') {
      if (!end || *end != '\0' || v < 0 || v > 100000) {
        fprintf(stderr, "pty-relay: -s takes microseconds, 0 to 100000\n");
        return 2;
      }
      slice_us = v;
    } else {
      if (!end || *end != '\0' || v < 10 || v > 3600000) {
        fprintf(stderr, "pty-relay: -w takes milliseconds, 10 to 3600000\n");
        return 2;
      }
      check_ms = v;
    }
    argc -= 2;
    argv += 2;
  }
  if (argc < 3) {
    fprintf(stderr, "usage: pty-relay [-s US] [-w MS] SOCKET PROGRAM [ARG...]\n");
    return 2;
  }
  /* The relay's own slice (it wakes for every keystroke and every echo); the vfork in spawn() resets it for PROGRAM,
   * which asks for its own. */
  ask_slice(slice_us);
  const char *sock_path = argv[1];
  if (strlen(sock_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
    fprintf(stderr, "pty-relay: socket path too long\n");
    return 2;
  }
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
    perror("pty-relay: no pseudo-terminal");
    return 126;
  }
  char *slave_name = ptsname(master);
  if (!slave_name) {
    perror("pty-relay: ptsname");
    return 126;
  }
  struct winsize ws = {.ws_row = 24, .ws_col = 80};
  ioctl(master, TIOCSWINSZ, &ws);

  if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) return 126;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (size_t i = 0; i < NFORWARDED; i++) sigaction(forwarded[i], &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  /* Connected before PROGRAM starts, so nothing PROGRAM runs can take ISLET's end first (pty-relays.ts serves
   * one connection at a time). */
  int sock = connect_to(sock_path);
  long long kills_at_spawn = oom_kills();
  pid_t child = spawn(slave_name, argv + 2);
  if (child < 0) {
    perror("pty-relay: vfork");
    return 126;
  }
  long long respawned_at[RESPAWN_MAX] = {0};
  size_t respawns = 0;
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);

  struct queue out = {malloc(OUT_MAX), OUT_MAX, 0, 0};
  struct queue in = {malloc(IN_MAX), IN_MAX, 0, 0};
  static char buf[FRAME_MAX + 8];
  static unsigned char frame[FRAME_MAX + 5];
  size_t frame_len = 0;
  long long next_try = now_ms() + RETRY_MS;
  long long next_stat = now_ms() + check_ms;
  long long retry_ms = RETRY_MS;
  int status = 0, child_done = 0, master_done = 0;
  long long drain_until = 0;

  for (;;) {
    if (child_changed) {
      child_changed = 0;
      int st;
      pid_t p;
      while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        if (p != child) continue;
        long long kills = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && kills_at_spawn >= 0 ? oom_kills() : -1;
        /* Another restart only once the oldest of the last RESPAWN_MAX is out of the window. */
        long long oldest = respawned_at[respawns % RESPAWN_MAX];
        if (kills > kills_at_spawn && (respawns < RESPAWN_MAX || now_ms() - oldest >= RESPAWN_WINDOW_MS)) {
          q_push(&out, OOM_NOTICE, sizeof OOM_NOTICE - 1, 1);
          respawned_at[respawns % RESPAWN_MAX] = now_ms();
          respawns++;
          kills_at_spawn = kills;
          child = spawn(slave_name, argv + 2);
          if (child > 0) {
            master_done = 0;
            continue;
          }
        }
        child_done = 1;
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        drain_until = now_ms() + 1000;
      }
    }
    if (pending_signal) {
      int sig = pending_signal;
      pending_signal = 0;
      if (!child_done && kill(-child, sig) != 0) kill(child, sig);
    }
    if (child_done && (master_done || now_ms() >= drain_until) && (out.len == 0 || sock < 0 || now_ms() >= drain_until)) break;

    /* A new listener on SOCKET (another ISLET server took the terminal over) whose old server did not close the
     * connection: the newest one gets it. */
    if (sock >= 0 && now_ms() >= next_stat) {
      next_stat = now_ms() + check_ms;
      ino_t ino = inode_of(sock_path);
      if (ino != 0 && ino != connected_ino) {
        close(sock);
        sock = -1;
        next_try = 0;
      }
    }
    if (sock < 0 && now_ms() >= next_try) {
      sock = connect_to(sock_path);
      /* Nobody listening (no server running): try less and less often, up to once a second. */
      retry_ms = sock >= 0 ? RETRY_MS : (retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : retry_ms * 2);
      if (sock >= 0) next_stat = now_ms() + check_ms;
      next_try = now_ms() + retry_ms;
      frame_len = 0;
    }
    struct pollfd fds[3];
    int n = 0;
    fds[n++] = (struct pollfd){.fd = sigpipe_fds[0], .events = POLLIN};
    int mi = -1, si = -1;
    if (!master_done) {
      short ev = 0;
      if (out.len < OUT_MAX / 2 || sock < 0) ev |= POLLIN; /* disconnected: keep reading, dropping the oldest */
      if (in.len > 0) ev |= POLLOUT;
      mi = n;
      fds[n++] = (struct pollfd){.fd = master, .events = ev};
    }
    if (sock >= 0) {
      short ev = 0;
      if (in.len < IN_MAX - FRAME_MAX) ev |= POLLIN;
      if (out.len > 0) ev |= POLLOUT;
      si = n;
      fds[n++] = (struct pollfd){.fd = sock, .events = ev};
    }
    long long until_check = next_stat - now_ms();
    int timeout = sock < 0 ? (int)retry_ms : (int)(until_check < 0 ? 0 : until_check);
    if (child_done) timeout = 50;
    if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR) return 126;
    if (fds[0].revents & POLLIN) {
      char drain[64];
      while (read(sigpipe_fds[0], drain, sizeof drain) > 0) {}
    }
    if (mi >= 0 && fds[mi].revents) {
      if (fds[mi].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t r = read(master, buf, sizeof buf);
        if (r > 0) q_push(&out, buf, (size_t)r, 1);
        else if (r == 0 || (errno != EAGAIN && errno != EINTR)) master_done = 1; /* EIO: every slave closed */
      }
      if (!master_done && (fds[mi].revents & POLLOUT) && q_flush(&in, master) < 0) in.len = 0;
    }
    if (si >= 0 && fds[si].revents) {
      int broken = 0;
      if (fds[si].revents & POLLOUT) broken = q_flush(&out, sock) < 0;
      if (!broken && (fds[si].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t r = read(sock, frame + frame_len, sizeof frame - frame_len);
        if (r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR))) broken = 1;
        else if (r > 0) frame_len += (size_t)r;
        /* Whole frames only; a partial one waits for the rest. */
        while (!broken && frame_len >= 5) {
          uint32_t len = ((uint32_t)frame[1] << 24) | ((uint32_t)frame[2] << 16) | ((uint32_t)frame[3] << 8) | frame[4];
          if (len > FRAME_MAX || (frame[0] != 'D' && frame[0] != 'R') || (frame[0] == 'R' && len != 4)) {
            broken = 1;
            break;
          }
          if (frame_len < 5 + len) break;
          if (frame[0] == 'D') q_push(&in, (char *)frame + 5, len, 0);
          else {
            struct winsize w = {.ws_row = (unsigned short)((frame[5] << 8) | frame[6]), .ws_col = (unsigned short)((frame[7] << 8) | frame[8])};
            if (w.ws_row > 0 && w.ws_col > 0) ioctl(master, TIOCSWINSZ, &w);
          }
          memmove(frame, frame + 5 + len, frame_len - 5 - len);
          frame_len -= 5 + len;
        }
        if (!master_done && in.len > 0 && q_flush(&in, master) < 0) in.len = 0;
      }
      if (broken) {
        close(sock);
        sock = -1;
        next_try = now_ms() + RETRY_MS;
      }
    }
  }
  if (sock >= 0) {
    fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) & ~O_NONBLOCK);
    shutdown(sock, SHUT_WR);
    close(sock);
  }
  return status;
}
