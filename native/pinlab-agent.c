/*
 * pinlab-agent: replays pinlab scenarios on the running Linux kernel.
 *
 * Line protocol on stdin/stdout: see docs/replay-protocol.md (version 1).
 *
 * Structure
 *   - The agent process: the main thread reads commands from stdin and writes
 *     one JSON line per command to stdout; a second thread runs a libfuse
 *     low-level session (one regular file "data") mounted at DIR/mnt.  READ and
 *     WRITE requests are not answered by that thread: they are queued and the
 *     main thread answers them on `fuse_reply`.
 *   - Scenario processes: `spawn` forks one from the agent's main thread; the
 *     `fork` worker command forks one from a scenario process.  Every scenario
 *     process runs one worker pthread per channel it serves; a worker reads
 *     "SEQ COMMAND\n" lines from its channel's command pipe and writes
 *     "SEQ JSON\n" to its reply pipe.  The sequence number lets the agent drop a
 *     late reply to a command it already gave up on (timeout).
 *   - Death of a scenario process is seen through a pidfd (the reply pipes are
 *     held open by every process, so they never reach EOF).
 *   - Nothing outlives the agent: every scenario process has
 *     PR_SET_PDEATHSIG(SIGKILL), the agent is a child subreaper (orphaned
 *     grandchildren are reparented to it and reaped), and cleanup SIGKILLs every
 *     known pid, fails every queued FUSE request, reaps, and unmounts.
 *
 * Build: native/build.sh [OUT]
 */
#define _GNU_SOURCE
#define FUSE_USE_VERSION 35

#include <fuse_lowlevel.h>
#include <liburing.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROTOCOL_VERSION 1
#define BASE_ADDR 0x7e0000000000UL
#define STRIDE 0x1000000UL
#define PAGE_SZ 4096UL
#define MAX_SLOTS 256
#define MAX_PAGES ((int)(STRIDE / PAGE_SZ))
#define MAX_CHAN 64
#define MAX_PIPES 64
#define MAX_RINGS 64
#define MAX_PROCS 4096
#define MAX_TOKENS 80
#define CMD_MAX 3800          /* a command line sent to a worker stays < PIPE_BUF */
#define DATA_FILE_SIZE (1UL << 20)
#define DATA_PIPE_SIZE (1 << 20)
#define MAX_JSON_DATA 4096    /* bytes of a WRITE request shown in fuse_wait */

/* ------------------------------------------------------------------------ */
/* State shared by the agent and (inherited by fork) the scenario processes */

static char g_dir[PATH_MAX];
static char g_mnt[PATH_MAX + 8];
static char g_data_path[PATH_MAX + 16];
static char g_log_path[PATH_MAX + 16];
static int g_timeout_ms = 5000;
static int g_log_fd = -1;
static pid_t g_agent_pid;

static bool g_inited;
static int g_nchan, g_npipes;
static int g_cmd_r[MAX_CHAN], g_cmd_w[MAX_CHAN], g_rep_r[MAX_CHAN], g_rep_w[MAX_CHAN];
static int g_data_r[MAX_PIPES], g_data_w[MAX_PIPES];

/* agent-only */
static int g_sigfd = -1;
static int g_notify_r = -1, g_notify_w = -1;
static struct fuse_session *g_se;
static pthread_t g_fuse_thread;
static bool g_fuse_thread_started, g_mounted;

/* scenario-process-only: io_uring rings of this process */
static struct io_uring g_rings[MAX_RINGS];
static bool g_ring_on[MAX_RINGS];
static uint64_t g_ring_ud[MAX_RINGS];

/* ------------------------------------------------------------------------ */
/* Small helpers */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t r = write(fd, buf, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += r;
		len -= (size_t)r;
	}
}

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	char buf[1024];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int n = snprintf(buf, sizeof buf, "%lld.%03ld [%d] ", (long long)ts.tv_sec,
			 ts.tv_nsec / 1000000, (int)getpid());
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : ((size_t)m < sizeof buf - (size_t)n - 1 ? (size_t)m : sizeof buf - (size_t)n - 2));
	buf[len++] = '\n';
	write_all(g_log_fd >= 0 ? g_log_fd : 2, buf, len);
}

static void fuse_log_to_file(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char buf[768];
	(void)level;
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n < 0)
		return;
	size_t len = strnlen(buf, sizeof buf);
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = 0;
	logmsg("libfuse: %s", buf);
}

/* JSON string escape of s into dst (without quotes) */
static void jesc(char *dst, size_t dsz, const char *s)
{
	size_t o = 0;
	for (; *s && o + 7 < dsz; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(dst + o, dsz - o, "\\u%04x", c);
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = 0;
}

/* {"ok":false,"error":"<msg>"} into out */
static void json_err(char *out, size_t osz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void json_err(char *out, size_t osz, const char *fmt, ...)
{
	char msg[768], esc[1536];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	jesc(esc, osz > 64 && osz - 32 < sizeof esc ? osz - 32 : sizeof esc, msg);
	snprintf(out, osz, "{\"ok\":false,\"error\":\"%s\"}", esc);
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	if (!s || !*s)
		return false;
	errno = 0;
	char *end;
	long v = strtol(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int tokenize(char *line, char **tok, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			break;
		if (n == max)
			return -1;
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = 0;
	}
	return n;
}

static void join_tokens(char *dst, size_t dsz, char **tok, int n)
{
	size_t o = 0;
	dst[0] = 0;
	for (int i = 0; i < n; i++) {
		int w = snprintf(dst + o, dsz - o, "%s%s", i ? " " : "", tok[i]);
		if (w < 0 || (size_t)w >= dsz - o) {
			dst[dsz - 1] = 0;
			return;
		}
		o += (size_t)w;
	}
}

static inline uint8_t *slot_addr(long slot)
{
	return (uint8_t *)(BASE_ADDR + (unsigned long)slot * STRIDE);
}

static inline uint8_t *cell_addr(long slot, long cell)
{
	return slot_addr(slot) + (unsigned long)(cell / 2) * PAGE_SZ + (unsigned long)(cell % 2) * 2048;
}

static inline size_t cell_off(long cell)
{
	return (size_t)(cell / 2) * PAGE_SZ + (size_t)(cell % 2) * 2048;
}

static int worker_timeout_ms(void)
{
	/* a worker gives up a little before the agent does, so its own
	 * "timeout" reply reaches the agent */
	return g_timeout_ms > 1000 ? g_timeout_ms - 500 : g_timeout_ms / 2;
}

static int poll_one(int fd, short ev, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = ev};
	int r;
	do {
		r = poll(&p, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	return r > 0 && (p.revents & (ev | POLLERR | POLLHUP)) ? 1 : r < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Worker side (runs inside scenario processes) */

static void start_workers(const int *chans, int n);

/* fork CHAN...: returns in the parent only */
static void w_fork(char **av, int ac, char *out, size_t osz)
{
	int chans[MAX_CHAN];
	int n = 0;
	for (int i = 1; i < ac; i++) {
		long c;
		if (!parse_long(av[i], 0, g_nchan - 1, &c) || n == MAX_CHAN) {
			json_err(out, osz, "bad command: fork: bad channel '%s'", av[i]);
			return;
		}
		chans[n++] = (int)c;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		json_err(out, osz, "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		/* child: only this thread exists */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		for (int i = 0; i < MAX_RINGS; i++)
			g_ring_ud[i] += 1000000;
		start_workers(chans, n);
		for (;;)
			pause();
	}
	snprintf(out, osz, "{\"ok\":true,\"pid\":%d}", (int)pid);
}

static int ring_wait(int r, uint64_t ud, int *res)
{
	long long deadline = now_ms() + worker_timeout_ms();
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return -ETIME;
		struct __kernel_timespec ts = {.tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000};
		struct io_uring_cqe *cqe = NULL;
		int e = io_uring_wait_cqe_timeout(&g_rings[r], &cqe, &ts);
		if (e == -EINTR)
			continue;
		if (e < 0)
			return e;
		uint64_t got = cqe->user_data;
		int v = cqe->res;
		io_uring_cqe_seen(&g_rings[r], cqe);
		if (got == ud) {
			*res = v;
			return 0;
		}
		/* a late completion of an operation we gave up on: drop it */
	}
}

static void w_rw_fixed(bool write, char **av, int ac, char *out, size_t osz)
{
	long r, p, slot, cell;
	if (ac != 5 || !parse_long(av[1], 0, MAX_RINGS - 1, &r) || !parse_long(av[2], 0, g_npipes - 1, &p) ||
	    !parse_long(av[3], 0, MAX_SLOTS - 1, &slot) || !parse_long(av[4], 0, 2L * MAX_PAGES - 1, &cell)) {
		json_err(out, osz, "bad command: %s RING PIPE SLOT CELL", av[0]);
		return;
	}
	if (!g_ring_on[r]) {
		json_err(out, osz, "%s: ring %ld is not set up", av[0], r);
		return;
	}
	struct io_uring_sqe *sqe = io_uring_get_sqe(&g_rings[r]);
	if (!sqe) {
		json_err(out, osz, "%s: submission queue full", av[0]);
		return;
	}
	uint8_t *a = cell_addr(slot, cell);
	if (write)
		io_uring_prep_write_fixed(sqe, g_data_w[p], a, 1, (__u64)-1, 0);
	else
		io_uring_prep_read_fixed(sqe, g_data_r[p], a, 1, (__u64)-1, 0);
	uint64_t ud = ++g_ring_ud[r];
	io_uring_sqe_set_data64(sqe, ud);
	int s = io_uring_submit(&g_rings[r]);
	if (s < 0) {
		snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", s);
		return;
	}
	int res = 0;
	int e = ring_wait((int)r, ud, &res);
	if (e == -ETIME) {
		json_err(out, osz, "timeout: %s: no io_uring completion", av[0]);
		return;
	}
	if (e < 0) {
		json_err(out, osz, "%s: io_uring_wait_cqe: %s", av[0], strerror(-e));
		return;
	}
	if (!write) {
		snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", res);
		return;
	}
	int value = -1;
	if (res == 1) {
		if (poll_one(g_data_r[p], POLLIN, worker_timeout_ms()) == 1) {
			uint8_t b;
			if (read(g_data_r[p], &b, 1) == 1)
				value = b;
		}
	}
	snprintf(out, osz, "{\"ok\":true,\"ret\":%d,\"value\":%d}", res, value);
}

static void w_pipe_peek(char **av, int ac, char *out, size_t osz)
{
	long p, cell;
	if (ac != 3 || !parse_long(av[1], 0, g_npipes - 1, &p) || !parse_long(av[2], 0, 2L * MAX_PAGES - 1, &cell)) {
		json_err(out, osz, "bad command: pipe_peek PIPE CELL");
		return;
	}
	size_t off = cell_off(cell);
	int sp[2];
	if (pipe(sp) < 0) {
		json_err(out, osz, "pipe_peek: pipe: %s", strerror(errno));
		return;
	}
	fcntl(sp[1], F_SETPIPE_SZ, DATA_PIPE_SIZE);
	ssize_t n = tee(g_data_r[p], sp[1], off + 1, SPLICE_F_NONBLOCK);
	if (n < 0) {
		int e = errno;
		close(sp[0]);
		close(sp[1]);
		if (e == EAGAIN)
			json_err(out, osz, "pipe_peek: pipe %ld is empty", p);
		else
			json_err(out, osz, "pipe_peek: tee: %s", strerror(e));
		return;
	}
	close(sp[1]);
	if ((size_t)n < off + 1) {
		close(sp[0]);
		json_err(out, osz, "pipe_peek: pipe %ld holds only %zd bytes", p, n);
		return;
	}
	uint8_t buf[16384];
	size_t got = 0;
	int value = -1;
	while (got <= off) {
		ssize_t r = read(sp[0], buf, sizeof buf);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		if (off < got + (size_t)r)
			value = buf[off - got];
		got += (size_t)r;
	}
	close(sp[0]);
	if (value < 0)
		json_err(out, osz, "pipe_peek: short read from the tee");
	else
		snprintf(out, osz, "{\"ok\":true,\"value\":%d}", value);
}

/* O_DIRECT descriptors opened ahead by dio_open, so the read or write itself sends no OPEN request */
static int g_dio_fd[2] = {-1, -1};

static void w_dio_open(char *out, size_t osz)
{
	for (int w = 0; w < 2; w++) {
		if (g_dio_fd[w] < 0)
			g_dio_fd[w] = open(g_data_path, (w ? O_WRONLY : O_RDONLY) | O_DIRECT);
		if (g_dio_fd[w] < 0) {
			snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", -errno);
			return;
		}
	}
	snprintf(out, osz, "{\"ok\":true,\"ret\":0}");
}

static void w_dio(bool write, char **av, int ac, char *out, size_t osz)
{
	long slot, cell, foff = 0;
	if ((ac != 3 && ac != 4) || !parse_long(av[1], 0, MAX_SLOTS - 1, &slot) ||
	    !parse_long(av[2], 0, 2L * MAX_PAGES - 1, &cell) ||
	    (ac == 4 && !parse_long(av[3], 0, (long)DATA_FILE_SIZE - 1, &foff))) {
		json_err(out, osz, "bad command: %s SLOT CELL [OFFSET]", av[0]);
		return;
	}
	bool cached = g_dio_fd[write] >= 0;
	int fd = cached ? g_dio_fd[write] : open(g_data_path, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", -errno);
		return;
	}
	uint8_t *a = cell_addr(slot, cell);
	ssize_t r = write ? pwrite(fd, a, 1, foff) : pread(fd, a, 1, foff);
	int ret = r < 0 ? -errno : (int)r;
	if (!cached)
		close(fd);
	snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
}

/* probe SLOT: is the slot's first page mapped in this process, and readable? */
static void w_probe(char **av, int ac, char *out, size_t osz)
{
	long slot;
	if (ac != 2 || !parse_long(av[1], 0, MAX_SLOTS - 1, &slot)) {
		json_err(out, osz, "bad command: probe SLOT");
		return;
	}
	unsigned long a = (unsigned long)slot_addr(slot);
	int fd = open("/proc/self/maps", O_RDONLY);
	if (fd < 0) {
		json_err(out, osz, "probe: /proc/self/maps: %s", strerror(errno));
		return;
	}
	bool mapped = false, readable = false;
	char buf[8192];
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			len += (size_t)r;
		buf[len] = 0;
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			unsigned long lo, hi;
			char perms[8];
			if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && lo <= a && a < hi) {
				mapped = true;
				readable = perms[0] == 'r';
			}
			line = nl + 1;
		}
		size_t rest = len - (size_t)(line - buf);
		memmove(buf, line, rest);
		len = rest;
		if (r <= 0 || mapped)
			break;
	}
	close(fd);
	snprintf(out, osz, "{\"ok\":true,\"mapped\":%s,\"read\":%s}", mapped ? "true" : "false",
		 readable ? "true" : "false");
}

static bool parse_prot(const char *s, int *prot)
{
	if (!strcmp(s, "rw"))
		*prot = PROT_READ | PROT_WRITE;
	else if (!strcmp(s, "r"))
		*prot = PROT_READ;
	else if (!strcmp(s, "none"))
		*prot = PROT_NONE;
	else
		return false;
	return true;
}

/* Runs one worker command; fills out with the JSON reply. */
static void worker_exec(char **av, int ac, char *out, size_t osz, const char *line)
{
	const char *c = av[0];
	long slot, pages, cell, v, r, p;

	if (!strcmp(c, "mmap")) {
		int prot, flags;
		if (ac != 5 || !parse_long(av[1], 0, MAX_SLOTS - 1, &slot) ||
		    !parse_long(av[2], 1, MAX_PAGES, &pages) || !parse_prot(av[3], &prot) ||
		    (strcmp(av[4], "private") && strcmp(av[4], "shared")))
			goto bad;
		flags = !strcmp(av[4], "private") ? MAP_PRIVATE : MAP_SHARED;
		void *a = mmap(slot_addr(slot), (size_t)pages * PAGE_SZ, prot, MAP_FIXED | MAP_ANONYMOUS | flags, -1, 0);
		if (a == MAP_FAILED) {
			json_err(out, osz, "mmap: %s", strerror(errno));
			return;
		}
		if (madvise(a, (size_t)pages * PAGE_SZ, MADV_NOHUGEPAGE) < 0) {
			json_err(out, osz, "madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
			return;
		}
		snprintf(out, osz, "{\"ok\":true}");
	} else if (!strcmp(c, "mremap")) {
		long to;
		if (ac != 4 || !parse_long(av[1], 0, MAX_SLOTS - 1, &slot) || !parse_long(av[2], 1, MAX_PAGES, &pages) ||
		    !parse_long(av[3], 0, MAX_SLOTS - 1, &to) || to == slot)
			goto bad;
		size_t len = (size_t)pages * PAGE_SZ;
		void *a = mremap(slot_addr(slot), len, len, MREMAP_MAYMOVE | MREMAP_FIXED, slot_addr(to));
		if (a == MAP_FAILED)
			json_err(out, osz, "mremap: %s", strerror(errno));
		else
			snprintf(out, osz, "{\"ok\":true}");
	} else if (!strcmp(c, "probe")) {
		w_probe(av, ac, out, osz);
	} else if (!strcmp(c, "munmap")) {
		if (ac != 3 || !parse_long(av[1], 0, MAX_SLOTS - 1, &slot) || !parse_long(av[2], 1, MAX_PAGES, &pages))
			goto bad;
		if (munmap(slot_addr(slot), (size_t)pages * PAGE_SZ) < 0)
			json_err(out, osz, "munmap: %s", strerror(errno));
		else
			snprintf(out, osz, "{\"ok\":true}");
	} else if (!strcmp(c, "mprotect")) {
		int prot;
		if (ac != 4 || !parse_long(av[1], 0, MAX_SLOTS - 1, &slot) ||
		    !parse_long(av[2], 1, MAX_PAGES, &pages) || !parse_prot(av[3], &prot))
			goto bad;
		int ret = mprotect(slot_addr(slot), (size_t)pages * PAGE_SZ, prot) < 0 ? -errno : 0;
		snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
	} else if (!strcmp(c, "madvise")) {
		if (ac != 4 || !parse_long(av[1], 0, MAX_SLOTS - 1, &slot) || !parse_long(av[2], 1, MAX_PAGES, &pages) ||
		    (strcmp(av[3], "dontfork") && strcmp(av[3], "dofork")))
			goto bad;
		int adv = !strcmp(av[3], "dontfork") ? MADV_DONTFORK : MADV_DOFORK;
		int ret = madvise(slot_addr(slot), (size_t)pages * PAGE_SZ, adv) < 0 ? -errno : 0;
		snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
	} else if (!strcmp(c, "store")) {
		if (ac != 4 || !parse_long(av[1], 0, MAX_SLOTS - 1, &slot) ||
		    !parse_long(av[2], 0, 2L * MAX_PAGES - 1, &cell) || !parse_long(av[3], 0, 255, &v))
			goto bad;
		*(volatile uint8_t *)cell_addr(slot, cell) = (uint8_t)v; /* may SIGSEGV: the process dies */
		snprintf(out, osz, "{\"ok\":true}");
	} else if (!strcmp(c, "load")) {
		if (ac != 3 || !parse_long(av[1], 0, MAX_SLOTS - 1, &slot) || !parse_long(av[2], 0, 2L * MAX_PAGES - 1, &cell))
			goto bad;
		int val = *(volatile uint8_t *)cell_addr(slot, cell);
		snprintf(out, osz, "{\"ok\":true,\"value\":%d}", val);
	} else if (!strcmp(c, "fork")) {
		w_fork(av, ac, out, osz);
	} else if (!strcmp(c, "exit")) {
		if (ac != 1)
			goto bad;
		_exit(0);
	} else if (!strcmp(c, "uring_setup")) {
		if (ac != 2 || !parse_long(av[1], 0, MAX_RINGS - 1, &r))
			goto bad;
		if (g_ring_on[r]) {
			json_err(out, osz, "uring_setup: ring %ld is already set up", r);
			return;
		}
		int ret = io_uring_queue_init(8, &g_rings[r], 0);
		if (ret == 0)
			g_ring_on[r] = true;
		snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
	} else if (!strcmp(c, "uring_register")) {
		if (ac != 4 || !parse_long(av[1], 0, MAX_RINGS - 1, &r) || !parse_long(av[2], 0, MAX_SLOTS - 1, &slot) ||
		    !parse_long(av[3], 1, MAX_PAGES, &pages))
			goto bad;
		if (!g_ring_on[r]) {
			json_err(out, osz, "uring_register: ring %ld is not set up", r);
			return;
		}
		struct iovec iov = {.iov_base = slot_addr(slot), .iov_len = (size_t)pages * PAGE_SZ};
		int ret = io_uring_register_buffers(&g_rings[r], &iov, 1);
		snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
	} else if (!strcmp(c, "uring_unregister")) {
		if (ac != 2 || !parse_long(av[1], 0, MAX_RINGS - 1, &r))
			goto bad;
		if (!g_ring_on[r]) {
			json_err(out, osz, "uring_unregister: ring %ld is not set up", r);
			return;
		}
		int ret = io_uring_unregister_buffers(&g_rings[r]);
		snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
	} else if (!strcmp(c, "read_fixed")) {
		w_rw_fixed(false, av, ac, out, osz);
	} else if (!strcmp(c, "write_fixed")) {
		w_rw_fixed(true, av, ac, out, osz);
	} else if (!strcmp(c, "vmsplice")) {
		if (ac != 4 || !parse_long(av[1], 0, g_npipes - 1, &p) || !parse_long(av[2], 0, MAX_SLOTS - 1, &slot) ||
		    !parse_long(av[3], 1, MAX_PAGES, &pages))
			goto bad;
		struct iovec iov = {.iov_base = slot_addr(slot), .iov_len = (size_t)pages * PAGE_SZ};
		/* no SPLICE_F_GIFT: the pipe takes plain (FOLL_GET) page references.
		 * SPLICE_F_NONBLOCK only keeps a full pipe from hanging the worker. */
		ssize_t n = vmsplice(g_data_w[p], &iov, 1, SPLICE_F_NONBLOCK);
		snprintf(out, osz, "{\"ok\":true,\"ret\":%ld}", n < 0 ? (long)-errno : (long)n);
	} else if (!strcmp(c, "pipe_peek")) {
		w_pipe_peek(av, ac, out, osz);
	} else if (!strcmp(c, "dio_read")) {
		w_dio(false, av, ac, out, osz);
	} else if (!strcmp(c, "dio_write")) {
		w_dio(true, av, ac, out, osz);
	} else if (!strcmp(c, "dio_open") && ac == 1) {
		w_dio_open(out, osz);
	} else {
		goto bad;
	}
	return;
bad:
	json_err(out, osz, "bad command: %s", line);
}

static void *worker_main(void *arg)
{
	int ch = (int)(intptr_t)arg;
	char line[CMD_MAX + 128];
	char copy[CMD_MAX + 128];
	char out[2048];
	char rep[2200];
	for (;;) {
		size_t n = 0;
		for (;;) {
			char c;
			ssize_t r = read(g_cmd_r[ch], &c, 1);
			if (r == 1) {
				if (c == '\n')
					break;
				if (n < sizeof line - 1)
					line[n++] = c;
			} else if (r < 0 && errno == EINTR) {
				continue;
			} else {
				return NULL;
			}
		}
		line[n] = 0;
		char *sp = strchr(line, ' ');
		if (!sp)
			continue; /* the agent always sends "SEQ CMD" */
		*sp = 0;
		const char *seq = line;
		char *cmd = sp + 1;
		snprintf(copy, sizeof copy, "%s", cmd);
		char *tok[MAX_TOKENS];
		int nt = tokenize(cmd, tok, MAX_TOKENS);
		if (nt <= 0)
			json_err(out, sizeof out, "bad command: %s", copy);
		else
			worker_exec(tok, nt, out, sizeof out, copy);
		int len = snprintf(rep, sizeof rep, "%s %s\n", seq, out);
		if (len > 0)
			write_all(g_rep_w[ch], rep, (size_t)len < sizeof rep ? (size_t)len : sizeof rep - 1);
	}
}

static void start_workers(const int *chans, int n)
{
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 512 * 1024);
	for (int i = 0; i < n; i++) {
		pthread_t t;
		int e = pthread_create(&t, &at, worker_main, (void *)(intptr_t)chans[i]);
		if (e) {
			logmsg("pthread_create for channel %d: %s", chans[i], strerror(e));
			_exit(3);
		}
	}
	pthread_attr_destroy(&at);
}

/* ------------------------------------------------------------------------ */
/* FUSE daemon (thread of the agent) */

enum { FOP_READ, FOP_WRITE };

struct freq {
	int id;
	fuse_req_t req;
	int op;
	uint64_t off;
	size_t size;
	uint8_t *data;
	size_t dlen;
	pid_t pid;
	bool reported;
	struct freq *next;
};

static pthread_mutex_t g_fmu = PTHREAD_MUTEX_INITIALIZER;
static struct freq *g_fq; /* oldest first */
static int g_fnext = 1;

static void fs_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_blksize = 4096;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0666;
		st->st_nlink = 1;
		st->st_size = (off_t)DATA_FILE_SIZE;
		st->st_blocks = (blkcnt_t)(DATA_FILE_SIZE / 512);
	}
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (parent == FUSE_ROOT_ID && !strcmp(name, "data")) {
		struct fuse_entry_param e;
		memset(&e, 0, sizeof e);
		e.ino = 2;
		e.generation = 1;
		e.attr_timeout = 3600;
		e.entry_timeout = 3600;
		fs_stat(2, &e.attr);
		fuse_reply_entry(req, &e);
	} else {
		fuse_reply_err(req, ENOENT);
	}
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != 2) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct stat st;
	fs_stat(ino, &st);
	fuse_reply_attr(req, &st, 3600);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi)
{
	(void)attr;
	(void)to_set;
	op_getattr(req, ino, fi);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != 2) {
		fuse_reply_err(req, ino == FUSE_ROOT_ID ? EISDIR : ENOENT);
		return;
	}
	fi->direct_io = 1; /* FOPEN_DIRECT_IO: every read/write goes to the daemon */
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static void fq_add(fuse_req_t req, int op, uint64_t off, size_t size, const char *buf)
{
	struct freq *q = calloc(1, sizeof *q);
	if (!q) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	q->req = req;
	q->op = op;
	q->off = off;
	q->size = size;
	q->pid = fuse_req_ctx(req)->pid;
	if (buf && size) {
		q->dlen = size < MAX_JSON_DATA ? size : MAX_JSON_DATA;
		q->data = malloc(q->dlen);
		if (q->data)
			memcpy(q->data, buf, q->dlen);
		else
			q->dlen = 0;
	}
	pthread_mutex_lock(&g_fmu);
	q->id = g_fnext++;
	struct freq **pp = &g_fq;
	while (*pp)
		pp = &(*pp)->next;
	*pp = q;
	pthread_mutex_unlock(&g_fmu);
	logmsg("fuse: queued %s id=%d off=%llu size=%zu tid=%d", op == FOP_READ ? "READ" : "WRITE", q->id,
	       (unsigned long long)off, size, (int)q->pid);
	char x = 1;
	if (write(g_notify_w, &x, 1) < 0) {
		/* the pipe is non-blocking; a full pipe already means "wake up" */
	}
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fq_add(req, FOP_READ, (uint64_t)off, size, NULL);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fq_add(req, FOP_WRITE, (uint64_t)off, size, buf);
}

static void op_ok(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)datasync;
	op_ok(req, ino, fi);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	static const struct {
		const char *name;
		fuse_ino_t ino;
		mode_t mode;
	} ents[] = {{".", FUSE_ROOT_ID, S_IFDIR}, {"..", FUSE_ROOT_ID, S_IFDIR}, {"data", 2, S_IFREG}};
	char buf[1024];
	size_t cap = size < sizeof buf ? size : sizeof buf, pos = 0;
	for (off_t i = off; i >= 0 && i < 3; i++) {
		struct stat st;
		memset(&st, 0, sizeof st);
		st.st_ino = ents[i].ino;
		st.st_mode = ents[i].mode;
		size_t e = fuse_add_direntry(req, buf + pos, cap - pos, ents[i].name, &st, i + 1);
		if (e > cap - pos)
			break;
		pos += e;
	}
	fuse_reply_buf(req, buf, pos);
}

static const struct fuse_lowlevel_ops g_fops = {
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_ok,
	.release = op_ok,
	.fsync = op_fsync,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_ok,
};

static void sigusr1_handler(int sig)
{
	(void)sig;
}

/*
 * The daemon's receive loop can be held. While held it does not read /dev/fuse, so a request the kernel has
 * queued (its user pages already pinned) stays unread: for an O_DIRECT write, reading the request is when the
 * kernel copies the data out of the pinned pages, i.e. when "the device reads". fuse_hold parks the loop,
 * fuse_queued waits until a request is queued, fuse_release lets the loop receive it.
 */
static pthread_mutex_t g_hold_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_hold_cv = PTHREAD_COND_INITIALIZER;
static bool g_hold, g_parked;

static void *fuse_thread_main(void *arg)
{
	(void)arg;
	sigset_t s;
	sigfillset(&s);
	sigdelset(&s, SIGUSR1);
	pthread_sigmask(SIG_SETMASK, &s, NULL);
	struct fuse_buf fbuf = {.mem = NULL};
	int r = 0;
	while (!fuse_session_exited(g_se)) {
		pthread_mutex_lock(&g_hold_mu);
		while (g_hold && !fuse_session_exited(g_se)) {
			g_parked = true;
			pthread_cond_broadcast(&g_hold_cv);
			pthread_cond_wait(&g_hold_cv, &g_hold_mu);
		}
		g_parked = false;
		pthread_mutex_unlock(&g_hold_mu);
		struct pollfd pf = {.fd = fuse_session_fd(g_se), .events = POLLIN};
		int pr = poll(&pf, 1, 50);
		if (pr <= 0)
			continue;
		pthread_mutex_lock(&g_hold_mu);
		bool held = g_hold;
		pthread_mutex_unlock(&g_hold_mu);
		if (held)
			continue;
		r = fuse_session_receive_buf(g_se, &fbuf);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r <= 0)
			break;
		fuse_session_process_buf(g_se, &fbuf);
	}
	free(fbuf.mem);
	logmsg("fuse: session loop ended (%d)", r);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Agent: processes */

struct proc {
	pid_t pid;
	int pidfd;
	bool reaped;
	int status;
};

static struct proc g_procs[MAX_PROCS];
static int g_nprocs;

static struct proc *proc_find(pid_t pid)
{
	for (int i = g_nprocs - 1; i >= 0; i--)
		if (g_procs[i].pid == pid)
			return &g_procs[i];
	return NULL;
}

static struct proc *proc_add(pid_t pid)
{
	struct proc *pr = proc_find(pid);
	if (pr)
		return pr; /* already seen (e.g. reaped as an orphan before its fork reply arrived) */
	if (g_nprocs == MAX_PROCS)
		return NULL;
	pr = &g_procs[g_nprocs++];
	pr->pid = pid;
	pr->reaped = false;
	pr->status = 0;
	pr->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pr->pidfd < 0)
		logmsg("pidfd_open(%d): %s", (int)pid, strerror(errno));
	return pr;
}

static void reap_sweep(void)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG | __WALL);
		if (p <= 0)
			return;
		struct proc *pr = proc_find(p);
		if (!pr && g_nprocs < MAX_PROCS) {
			pr = &g_procs[g_nprocs++];
			pr->pid = p;
			pr->pidfd = -1;
		}
		if (pr) {
			pr->reaped = true;
			pr->status = st;
		}
		logmsg("reaped %d status 0x%x", (int)p, st);
	}
}

/* reads the start of a small /proc file of PID into buf, NUL-terminated; false if it cannot */
static bool read_proc_file(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return true;
}

/* /proc/PID/stat: state char, and exit_code (field 52); false if gone */
static bool proc_stat(pid_t pid, char *state, int *exit_code)
{
	char buf[2048];
	if (!read_proc_file(pid, "stat", buf, sizeof buf))
		return false;
	char *p = strrchr(buf, ')');
	if (!p)
		return false;
	p++;
	int field = 2;
	char *save = NULL;
	*exit_code = -1;
	for (char *t = strtok_r(p, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		field++;
		if (field == 3)
			*state = t[0];
		if (field == 52)
			*exit_code = atoi(t);
	}
	return true;
}

static bool proc_dead(struct proc *pr)
{
	if (pr->reaped)
		return true;
	if (pr->pidfd >= 0)
		return poll_one(pr->pidfd, POLLIN, 0) == 1;
	char st;
	int ec;
	if (!proc_stat(pr->pid, &st, &ec))
		return true;
	return st == 'Z' || st == 'X';
}

/* wait status of a dead process, -1 if unknown */
static int proc_status(struct proc *pr)
{
	if (!pr->reaped) {
		int st;
		pid_t r = waitpid(pr->pid, &st, WNOHANG | __WALL);
		if (r == pr->pid) {
			pr->reaped = true;
			pr->status = st;
		}
	}
	if (pr->reaped)
		return pr->status;
	char s;
	int ec;
	if (proc_stat(pr->pid, &s, &ec) && (s == 'Z' || s == 'X'))
		return ec;
	reap_sweep(); /* reparented to us in the meantime? */
	return pr->reaped ? pr->status : -1;
}

static int status_signal(int st)
{
	if (st < 0)
		return -1;
	if (WIFSIGNALED(st))
		return WTERMSIG(st);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Agent: replies, signals, cleanup */

static void reply(const char *json)
{
	/* one write per line, so a reader never sees half a reply */
	size_t n = strlen(json);
	char small[4096];
	char *buf = n + 1 <= sizeof small ? small : malloc(n + 1);
	if (!buf) {
		write_all(1, json, n);
		write_all(1, "\n", 1);
		return;
	}
	memcpy(buf, json, n);
	buf[n] = '\n';
	write_all(1, buf, n + 1);
	if (buf != small)
		free(buf);
}

static void reply_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply_err(const char *fmt, ...)
{
	char msg[1024], esc[2048], out[2200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	jesc(esc, sizeof esc, msg);
	snprintf(out, sizeof out, "{\"ok\":false,\"error\":\"%s\"}", esc);
	reply(out);
}

static bool mounted_at(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char line[4096];
	bool found = false;
	while (fgets(line, sizeof line, f)) {
		/* id parent maj:min root mountpoint ... */
		char *tok[6];
		char *save = NULL, *p = line;
		int n = 0;
		for (char *t = strtok_r(p, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
			tok[n++] = t;
		if (n < 5)
			continue;
		/* unescape \ooo */
		char mp[4096];
		size_t o = 0;
		for (const char *s = tok[4]; *s && o + 1 < sizeof mp; s++) {
			if (s[0] == '\\' && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
			    isdigit((unsigned char)s[3])) {
				mp[o++] = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
				s += 3;
			} else {
				mp[o++] = *s;
			}
		}
		mp[o] = 0;
		if (!strcmp(mp, path)) {
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

static void fail_pending_fuse(void)
{
	for (;;) {
		pthread_mutex_lock(&g_fmu);
		struct freq *q = g_fq;
		if (q)
			g_fq = q->next;
		pthread_mutex_unlock(&g_fmu);
		if (!q)
			return;
		fuse_reply_err(q->req, EIO);
		free(q->data);
		free(q);
	}
}

static void abort_fuse_connection(void)
{
	struct stat st;
	if (stat(g_mnt, &st) < 0)
		return;
	char path[128];
	snprintf(path, sizeof path, "/sys/fs/fuse/connections/%u/abort", minor(st.st_dev));
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return;
	write_all(fd, "1", 1);
	close(fd);
	logmsg("cleanup: aborted the FUSE connection via %s", path);
}

static bool g_shutdown_reply;

static bool have_children(void)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	return !(waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0 && errno == ECHILD);
}

static void cleanup_and_exit(int code) __attribute__((noreturn));
static void cleanup_and_exit(int code)
{
	static bool busy;
	if (busy)
		_exit(code);
	busy = true;
	logmsg("cleanup (exit code %d)", code);

	/* 1. SIGKILL every scenario process we know of (their unknown children
	 *    get SIGKILL from PDEATHSIG and are reparented to us: subreaper) */
	reap_sweep();
	for (int i = 0; i < g_nprocs; i++)
		if (!g_procs[i].reaped)
			kill(g_procs[i].pid, SIGKILL);

	/* 2. fail every queued FUSE request (a killed task waits uninterruptibly
	 *    for the answer to a request the daemon already read), reap */
	long long deadline = now_ms() + 3000;
	bool aborted = false;
	for (;;) {
		fail_pending_fuse();
		reap_sweep();
		if (!have_children())
			break;
		if (now_ms() > deadline - 2000 && !aborted && g_mounted) {
			abort_fuse_connection();
			aborted = true;
		}
		if (now_ms() > deadline) {
			logmsg("cleanup: children still not reaped after 3s");
			break;
		}
		for (int i = 0; i < g_nprocs; i++)
			if (!g_procs[i].reaped)
				kill(g_procs[i].pid, SIGKILL);
		usleep(5000);
	}

	/* 3. unmount, stop the FUSE thread */
	if (g_se && g_mounted) {
		fuse_session_unmount(g_se);
		g_mounted = false;
	}
	if (g_fuse_thread_started) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		if (pthread_timedjoin_np(g_fuse_thread, NULL, &ts) != 0) {
			fuse_session_exit(g_se);
			pthread_kill(g_fuse_thread, SIGUSR1);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			if (pthread_timedjoin_np(g_fuse_thread, NULL, &ts) != 0) {
				logmsg("cleanup: FUSE thread did not stop");
				g_fuse_thread_started = false;
			}
		}
		if (g_fuse_thread_started) {
			fail_pending_fuse();
			fuse_session_destroy(g_se);
			g_se = NULL;
		}
	}
	if (mounted_at(g_mnt)) {
		logmsg("cleanup: %s still mounted, detaching", g_mnt);
		umount2(g_mnt, MNT_DETACH);
	}
	if (rmdir(g_mnt) < 0 && errno != ENOENT)
		logmsg("cleanup: rmdir %s: %s", g_mnt, strerror(errno));

	/* 4. last reap */
	deadline = now_ms() + 1000;
	for (;;) {
		reap_sweep();
		if (!have_children())
			break;
		if (now_ms() > deadline)
			break;
		usleep(5000);
	}
	logmsg("cleanup done");
	if (g_shutdown_reply)
		reply("{\"ok\":true}");
	_exit(code);
}

/* if a termination signal is pending, clean up and exit */
static void check_signal(void)
{
	struct signalfd_siginfo si;
	if (poll_one(g_sigfd, POLLIN, 0) == 1 && read(g_sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		logmsg("got signal %u", si.ssi_signo);
		cleanup_and_exit(128 + (int)si.ssi_signo);
	}
}

/* poll fds plus the signalfd; handles signals; returns poll's result */
static int agent_poll(struct pollfd *pf, int n, long long deadline)
{
	struct pollfd all[8];
	for (int i = 0; i < n; i++)
		all[i] = pf[i];
	all[n].fd = g_sigfd;
	all[n].events = POLLIN;
	all[n].revents = 0;
	for (;;) {
		int left = -1;
		if (deadline >= 0) {
			long long l = deadline - now_ms();
			left = l < 0 ? 0 : (int)l;
		}
		int r = poll(all, (nfds_t)n + 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0 && all[n].revents)
			check_signal();
		for (int i = 0; i < n; i++)
			pf[i].revents = all[i].revents;
		return r;
	}
}

/* ------------------------------------------------------------------------ */
/* Agent: channels */

struct chan {
	int owner; /* index into g_procs, -1 if none */
	uint64_t pending;
	bool pending_fork;
	int fork_chans[MAX_CHAN];
	int nfork;
	char pending_cmd[64];
	char buf[16384];
	size_t len;
};

static struct chan g_ch[MAX_CHAN];
static uint64_t g_seq;

static bool chan_free(int c)
{
	if (g_ch[c].owner < 0)
		return true;
	return proc_dead(&g_procs[g_ch[c].owner]);
}

/* forget whatever a dead owner left in the channel's pipes */
static void chan_reset(int c)
{
	char tmp[4096];
	while (poll_one(g_cmd_r[c], POLLIN, 0) == 1 && read(g_cmd_r[c], tmp, sizeof tmp) > 0) {
	}
	while (poll_one(g_rep_r[c], POLLIN, 0) == 1 && read(g_rep_r[c], tmp, sizeof tmp) > 0) {
	}
	g_ch[c].len = 0;
	g_ch[c].pending = 0;
	g_ch[c].pending_fork = false;
}

/* pick the line with sequence number seq out of the buffer; true if found */
static bool chan_take(int c, uint64_t seq, char *out, size_t osz)
{
	struct chan *ch = &g_ch[c];
	for (;;) {
		char *nl = memchr(ch->buf, '\n', ch->len);
		if (!nl)
			return false;
		*nl = 0;
		size_t linelen = (size_t)(nl - ch->buf) + 1;
		char *end;
		unsigned long long s = strtoull(ch->buf, &end, 10);
		bool match = s == seq && *end == ' ';
		if (match)
			snprintf(out, osz, "%s", end + 1);
		else
			logmsg("channel %d: dropped stale reply: %s", c, ch->buf);
		memmove(ch->buf, ch->buf + linelen, ch->len - linelen);
		ch->len -= linelen;
		if (match)
			return true;
	}
}

static void chan_fill(int c)
{
	struct chan *ch = &g_ch[c];
	if (ch->len == sizeof ch->buf)
		ch->len = 0; /* garbage: a line never exceeds this */
	ssize_t r = read(g_rep_r[c], ch->buf + ch->len, sizeof ch->buf - ch->len);
	if (r > 0)
		ch->len += (size_t)r;
}

enum { WR_OK, WR_DIED, WR_TIMEOUT };

static int chan_wait(int c, char *out, size_t osz, int *sig)
{
	struct chan *ch = &g_ch[c];
	struct proc *pr = &g_procs[ch->owner];
	long long deadline = now_ms() + g_timeout_ms;
	for (;;) {
		if (chan_take(c, ch->pending, out, osz))
			return WR_OK;
		struct pollfd pf[2] = {{.fd = g_rep_r[c], .events = POLLIN}, {.fd = pr->pidfd, .events = POLLIN}};
		int n = pr->pidfd >= 0 ? 2 : 1;
		int r = agent_poll(pf, n, pr->pidfd >= 0 ? deadline : (now_ms() + 20 < deadline ? now_ms() + 20 : deadline));
		if (r < 0)
			return WR_TIMEOUT;
		if (pf[0].revents & POLLIN) {
			chan_fill(c);
			continue;
		}
		if ((n == 2 && pf[1].revents) || (n == 1 && proc_dead(pr))) {
			/* dead; take what it wrote before dying */
			while (poll_one(g_rep_r[c], POLLIN, 0) == 1)
				chan_fill(c);
			if (chan_take(c, ch->pending, out, osz))
				return WR_OK;
			*sig = status_signal(proc_status(pr));
			return WR_DIED;
		}
		if (now_ms() >= deadline)
			return WR_TIMEOUT;
	}
}

static int extract_pid(const char *json)
{
	const char *p = strstr(json, "\"pid\":");
	return p ? atoi(p + 6) : -1;
}

/* send "SEQ cmd" to channel c; returns false (after replying) on error */
static bool chan_start(int c, char **tok, int nt)
{
	struct chan *ch = &g_ch[c];
	if (ch->owner < 0) {
		reply_err("channel %d has no process", c);
		return false;
	}
	if (ch->pending) {
		reply_err("channel %d is busy: finish its started command first", c);
		return false;
	}
	char cmd[CMD_MAX + 1];
	join_tokens(cmd, sizeof cmd, tok, nt);
	if (strlen(cmd) >= CMD_MAX - 32) {
		reply_err("bad command: worker command too long");
		return false;
	}
	ch->pending_fork = false;
	if (!strcmp(tok[0], "fork")) {
		ch->nfork = 0;
		bool seen[MAX_CHAN] = {false};
		for (int i = 1; i < nt; i++) {
			long x;
			if (!parse_long(tok[i], 0, g_nchan - 1, &x)) {
				reply_err("bad command: fork: bad channel '%s'", tok[i]);
				return false;
			}
			if (seen[x] || !chan_free((int)x)) {
				reply_err("fork: channel %ld is already served by a live process", x);
				return false;
			}
			seen[x] = true;
			ch->fork_chans[ch->nfork++] = (int)x;
		}
		ch->pending_fork = true;
	}
	uint64_t seq = ++g_seq;
	char line[CMD_MAX + 32];
	int len = snprintf(line, sizeof line, "%llu %s\n", (unsigned long long)seq, cmd);
	struct pollfd pf = {.fd = g_cmd_w[c], .events = POLLOUT};
	int r = agent_poll(&pf, 1, now_ms() + g_timeout_ms);
	if (r <= 0 || !(pf.revents & POLLOUT)) {
		reply_err("timeout: channel %d: command pipe full", c);
		return false;
	}
	write_all(g_cmd_w[c], line, (size_t)len);
	ch->pending = seq;
	snprintf(ch->pending_cmd, sizeof ch->pending_cmd, "%s", tok[0]);
	return true;
}

static void chan_finish(int c)
{
	struct chan *ch = &g_ch[c];
	char out[4096];
	int sig = 0;
	int r = chan_wait(c, out, sizeof out, &sig);
	bool was_fork = ch->pending_fork;
	ch->pending = 0;
	ch->pending_fork = false;
	if (r == WR_TIMEOUT) {
		reply_err("timeout: channel %d: no reply to '%s' within %d ms", c, ch->pending_cmd, g_timeout_ms);
		return;
	}
	if (r == WR_DIED) {
		char buf[128];
		snprintf(buf, sizeof buf, "{\"ok\":false,\"error\":\"died\",\"signal\":%d}", sig);
		reply(buf);
		return;
	}
	if (was_fork && strstr(out, "\"ok\":true")) {
		int pid = extract_pid(out);
		if (pid > 0) {
			struct proc *pr = proc_add(pid);
			if (pr) {
				int idx = (int)(pr - g_procs);
				for (int i = 0; i < ch->nfork; i++) {
					chan_reset(ch->fork_chans[i]);
					g_ch[ch->fork_chans[i]].owner = idx;
				}
			}
			logmsg("fork from channel %d: pid %d", c, pid);
		}
	}
	reply(out);
}

/* ------------------------------------------------------------------------ */
/* Agent commands */

static void cmd_init(char **tok, int nt)
{
	long nc, np;
	if (nt != 3 || !parse_long(tok[1], 1, MAX_CHAN, &nc) || !parse_long(tok[2], 0, MAX_PIPES, &np)) {
		reply_err("bad command: init NCHAN(1..%d) NPIPES(0..%d)", MAX_CHAN, MAX_PIPES);
		return;
	}
	if (g_inited) {
		reply_err("init: already done");
		return;
	}
	for (int i = 0; i < nc; i++) {
		int a[2], b[2];
		if (pipe(a) < 0 || pipe(b) < 0) {
			reply_err("init: pipe: %s", strerror(errno));
			return;
		}
		g_cmd_r[i] = a[0];
		g_cmd_w[i] = a[1];
		g_rep_r[i] = b[0];
		g_rep_w[i] = b[1];
		g_ch[i].owner = -1;
	}
	for (int i = 0; i < np; i++) {
		int a[2];
		if (pipe(a) < 0) {
			reply_err("init: pipe: %s", strerror(errno));
			return;
		}
		if (fcntl(a[1], F_SETPIPE_SZ, DATA_PIPE_SIZE) < 0)
			logmsg("F_SETPIPE_SZ: %s", strerror(errno));
		g_data_r[i] = a[0];
		g_data_w[i] = a[1];
	}
	g_nchan = (int)nc;
	g_npipes = (int)np;
	g_inited = true;
	reply("{\"ok\":true}");
}

static void scenario_child_init(void)
{
	sigset_t none;
	sigemptyset(&none);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != g_agent_pid)
		_exit(1);
	/* no core dumps anywhere (SIGSEGV is an expected outcome) */
	struct rlimit rl = {0, 0};
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0);
	/* agent-private fds */
	if (g_se)
		close(fuse_session_fd(g_se));
	close(g_sigfd);
	close(g_notify_r);
	close(g_notify_w);
	for (int i = 0; i < g_nprocs; i++)
		if (g_procs[i].pidfd >= 0)
			close(g_procs[i].pidfd);
	int dn = open("/dev/null", O_RDWR);
	if (dn >= 0) {
		dup2(dn, 0);
		dup2(dn, 1);
		close(dn);
	}
	if (g_log_fd >= 0) {
		dup2(g_log_fd, 2);
		close(g_log_fd);
		g_log_fd = 2;
	}
}

static void cmd_spawn(char **tok, int nt)
{
	if (!g_inited) {
		reply_err("spawn: init first");
		return;
	}
	int chans[MAX_CHAN];
	int n = 0;
	bool seen[MAX_CHAN] = {false};
	for (int i = 1; i < nt; i++) {
		long c;
		if (!parse_long(tok[i], 0, g_nchan - 1, &c)) {
			reply_err("bad command: spawn: bad channel '%s'", tok[i]);
			return;
		}
		if (seen[c] || !chan_free((int)c)) {
			reply_err("spawn: channel %ld is already served by a live process", c);
			return;
		}
		seen[c] = true;
		chans[n++] = (int)c;
	}
	if (g_nprocs >= MAX_PROCS) {
		reply_err("spawn: too many processes");
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		reply_err("spawn: fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		scenario_child_init();
		start_workers(chans, n);
		for (;;)
			pause();
	}
	struct proc *pr = proc_add(pid);
	int idx = (int)(pr - g_procs);
	for (int i = 0; i < n; i++) {
		chan_reset(chans[i]);
		g_ch[chans[i]].owner = idx;
	}
	logmsg("spawned %d", (int)pid);
	char buf[64];
	snprintf(buf, sizeof buf, "{\"ok\":true,\"pid\":%d}", (int)pid);
	reply(buf);
}

static bool parse_chan(const char *s, int *c)
{
	long x;
	if (!g_inited || !parse_long(s, 0, g_nchan - 1, &x))
		return false;
	*c = (int)x;
	return true;
}

static void cmd_pipe_write(char **tok, int nt)
{
	long p, v;
	if (nt != 3 || !g_inited || !parse_long(tok[1], 0, g_npipes - 1, &p) || !parse_long(tok[2], 0, 255, &v)) {
		reply_err("bad command: pipe_write PIPE VALUE");
		return;
	}
	struct pollfd pf = {.fd = g_data_w[p], .events = POLLOUT};
	int r = agent_poll(&pf, 1, now_ms() + g_timeout_ms);
	if (r <= 0 || !(pf.revents & POLLOUT)) {
		reply_err("timeout: pipe %ld is full", p);
		return;
	}
	uint8_t b = (uint8_t)v;
	if (write(g_data_w[p], &b, 1) != 1) {
		reply_err("pipe_write: %s", strerror(errno));
		return;
	}
	reply("{\"ok\":true}");
}

static pid_t tgid_of(pid_t tid)
{
	char buf[1024];
	if (!read_proc_file(tid, "status", buf, sizeof buf))
		return tid;
	char *p = strstr(buf, "\nTgid:");
	return p ? (pid_t)atoi(p + 6) : tid;
}

static void cmd_fuse_hold(bool hold)
{
	long long deadline = now_ms() + g_timeout_ms;
	pthread_mutex_lock(&g_hold_mu);
	g_hold = hold;
	pthread_cond_broadcast(&g_hold_cv);
	while (hold && !g_parked && now_ms() < deadline) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g_hold_cv, &g_hold_mu, &ts);
	}
	bool ok = !hold || g_parked;
	pthread_mutex_unlock(&g_hold_mu);
	if (ok)
		reply("{\"ok\":true}");
	else
		reply_err("timeout: the FUSE loop did not park within %d ms", g_timeout_ms);
}

static void cmd_fuse_queued(void)
{
	long long deadline = now_ms() + g_timeout_ms;
	for (;;) {
		struct pollfd pf = {.fd = fuse_session_fd(g_se), .events = POLLIN};
		int pr = poll(&pf, 1, 20);
		if (pr > 0 && (pf.revents & POLLIN)) {
			reply("{\"ok\":true}");
			return;
		}
		if (now_ms() >= deadline) {
			reply_err("timeout: no FUSE request queued within %d ms", g_timeout_ms);
			return;
		}
	}
}

static void cmd_fuse_wait(int nt)
{
	if (nt != 1) {
		reply_err("bad command: fuse_wait takes no arguments");
		return;
	}
	long long deadline = now_ms() + g_timeout_ms;
	for (;;) {
		char tmp[256];
		while (read(g_notify_r, tmp, sizeof tmp) > 0) {
		}
		struct freq snap;
		bool found = false;
		uint8_t data[MAX_JSON_DATA];
		pthread_mutex_lock(&g_fmu);
		for (struct freq *q = g_fq; q; q = q->next) {
			if (!q->reported) {
				q->reported = true;
				snap = *q;
				if (q->dlen)
					memcpy(data, q->data, q->dlen);
				found = true;
				break;
			}
		}
		pthread_mutex_unlock(&g_fmu);
		if (found) {
			static char out[MAX_JSON_DATA * 4 + 256];
			int o = snprintf(out, sizeof out,
					 "{\"ok\":true,\"id\":%d,\"op\":\"%s\",\"offset\":%llu,\"size\":%zu,\"pid\":%d",
					 snap.id, snap.op == FOP_READ ? "read" : "write", (unsigned long long)snap.off,
					 snap.size, (int)tgid_of(snap.pid));
			if (snap.op == FOP_WRITE) {
				o += snprintf(out + o, sizeof out - (size_t)o, ",\"data\":[");
				for (size_t i = 0; i < snap.dlen; i++)
					o += snprintf(out + o, sizeof out - (size_t)o, "%s%d", i ? "," : "", data[i]);
				o += snprintf(out + o, sizeof out - (size_t)o, "]");
			}
			snprintf(out + o, sizeof out - (size_t)o, "}");
			reply(out);
			return;
		}
		if (now_ms() >= deadline) {
			reply_err("timeout: no unanswered FUSE READ or WRITE request within %d ms", g_timeout_ms);
			return;
		}
		struct pollfd pf = {.fd = g_notify_r, .events = POLLIN};
		agent_poll(&pf, 1, deadline);
	}
}

static void cmd_fuse_reply(char **tok, int nt)
{
	long k, v;
	if (nt != 3 || !parse_long(tok[1], 1, INT_MAX, &k) || !parse_long(tok[2], 0, 255, &v)) {
		reply_err("bad command: fuse_reply ID VALUE");
		return;
	}
	pthread_mutex_lock(&g_fmu);
	struct freq **pp = &g_fq, *q = NULL;
	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == k) {
			q = *pp;
			*pp = q->next;
			break;
		}
	}
	pthread_mutex_unlock(&g_fmu);
	if (!q) {
		reply_err("fuse_reply: no unanswered request %ld", k);
		return;
	}
	int r;
	if (q->op == FOP_READ) {
		uint8_t *buf = malloc(q->size ? q->size : 1);
		if (!buf) {
			r = fuse_reply_err(q->req, ENOMEM);
		} else {
			memset(buf, (int)v, q->size);
			r = fuse_reply_buf(q->req, (const char *)buf, q->size);
			free(buf);
		}
	} else {
		r = fuse_reply_write(q->req, q->size);
	}
	if (r < 0)
		logmsg("fuse_reply %ld: %s (the requester is gone?)", k, strerror(-r));
	free(q->data);
	free(q);
	reply("{\"ok\":true}");
}

static void cmd_pagemap(char **tok, int nt)
{
	long pid, slot, page;
	if (nt != 4 || !parse_long(tok[1], 1, INT_MAX, &pid) || !parse_long(tok[2], 0, MAX_SLOTS - 1, &slot) ||
	    !parse_long(tok[3], 0, MAX_PAGES - 1, &page)) {
		reply_err("bad command: pagemap PID SLOT PAGE");
		return;
	}
	uint64_t va = BASE_ADDR + (uint64_t)slot * STRIDE + (uint64_t)page * PAGE_SZ;
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/pagemap", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		reply_err("pagemap: open %s: %s", path, strerror(errno));
		return;
	}
	uint64_t e = 0;
	ssize_t n = pread(fd, &e, sizeof e, (off_t)(va / PAGE_SZ * 8));
	int err = errno;
	close(fd);
	if (n != (ssize_t)sizeof e) {
		reply_err("pagemap: read %s: %s", path, n < 0 ? strerror(err) : "short read (process gone?)");
		return;
	}
	bool present = (e >> 63) & 1;
	bool excl = (e >> 56) & 1;
	uint64_t pfn = present ? (e & ((1ULL << 55) - 1)) : 0;
	uint64_t fl = 0;
	if (present && pfn) {
		int kf = open("/proc/kpageflags", O_RDONLY);
		if (kf < 0 || pread(kf, &fl, sizeof fl, (off_t)(pfn * 8)) != (ssize_t)sizeof fl) {
			int e2 = errno;
			if (kf >= 0)
				close(kf);
			reply_err("pagemap: /proc/kpageflags: %s", strerror(e2));
			return;
		}
		close(kf);
	}
	char out[256];
	snprintf(out, sizeof out,
		 "{\"ok\":true,\"present\":%s,\"pfn\":%llu,\"exclusive\":%s,\"zero\":%s,\"anon\":%s,\"thp\":%s,\"ksm\":%s}",
		 present ? "true" : "false", (unsigned long long)pfn, excl ? "true" : "false",
		 (fl >> 24) & 1 ? "true" : "false", (fl >> 12) & 1 ? "true" : "false",
		 (fl >> 22) & 1 ? "true" : "false", (fl >> 21) & 1 ? "true" : "false");
	reply(out);
}

static void cmd_alive(char **tok, int nt)
{
	long pid;
	if (nt != 2 || !parse_long(tok[1], 1, INT_MAX, &pid)) {
		reply_err("bad command: alive PID");
		return;
	}
	reap_sweep();
	bool alive;
	struct proc *pr = proc_find((pid_t)pid);
	if (pr && pr->reaped) {
		alive = false;
	} else {
		char st;
		int ec;
		alive = proc_stat((pid_t)pid, &st, &ec) && st != 'Z' && st != 'X';
	}
	reply(alive ? "{\"ok\":true,\"alive\":true}" : "{\"ok\":true,\"alive\":false}");
}

static void dispatch(char *line)
{
	char copy[8192];
	snprintf(copy, sizeof copy, "%s", line);
	char *tok[MAX_TOKENS];
	int nt = tokenize(line, tok, MAX_TOKENS);
	if (nt < 0) {
		reply_err("bad command: too many tokens");
		return;
	}
	if (nt == 0) {
		reply_err("bad command: empty line");
		return;
	}
	const char *c = tok[0];
	if (!strcmp(c, "hello") && nt == 1) {
		struct utsname u;
		uname(&u);
		char esc[256], out[512];
		jesc(esc, sizeof esc, u.release);
		snprintf(out, sizeof out, "{\"ok\":true,\"agent\":\"pinlab-agent\",\"protocol\":%d,\"kernel\":\"%s\"}",
			 PROTOCOL_VERSION, esc);
		reply(out);
	} else if (!strcmp(c, "init")) {
		cmd_init(tok, nt);
	} else if (!strcmp(c, "spawn")) {
		cmd_spawn(tok, nt);
	} else if (!strcmp(c, "send") || !strcmp(c, "start")) {
		int ch;
		if (nt < 3 || !parse_chan(tok[1], &ch)) {
			reply_err("bad command: %s", copy);
			return;
		}
		if (!chan_start(ch, tok + 2, nt - 2))
			return;
		if (!strcmp(c, "send"))
			chan_finish(ch);
		else
			reply("{\"ok\":true}");
	} else if (!strcmp(c, "finish")) {
		int ch;
		if (nt != 2 || !parse_chan(tok[1], &ch)) {
			reply_err("bad command: %s", copy);
			return;
		}
		if (!g_ch[ch].pending) {
			reply_err("finish: nothing started on channel %d", ch);
			return;
		}
		chan_finish(ch);
	} else if (!strcmp(c, "pipe_write")) {
		cmd_pipe_write(tok, nt);
	} else if (!strcmp(c, "fuse_wait")) {
		cmd_fuse_wait(nt);
	} else if (!strcmp(c, "fuse_reply")) {
		cmd_fuse_reply(tok, nt);
	} else if (!strcmp(c, "fuse_hold") && nt == 1) {
		cmd_fuse_hold(true);
	} else if (!strcmp(c, "fuse_release") && nt == 1) {
		cmd_fuse_hold(false);
	} else if (!strcmp(c, "fuse_queued") && nt == 1) {
		cmd_fuse_queued();
	} else if (!strcmp(c, "pagemap")) {
		cmd_pagemap(tok, nt);
	} else if (!strcmp(c, "alive")) {
		cmd_alive(tok, nt);
	} else if (!strcmp(c, "shutdown") && nt == 1) {
		logmsg("shutdown");
		g_shutdown_reply = true; /* replied once everything is gone */
		cleanup_and_exit(0);
	} else {
		reply_err("bad command: %s", copy);
	}
}

/* ------------------------------------------------------------------------ */
/* Startup and main loop */

static void startup_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void startup_fail(const char *fmt, ...)
{
	char msg[1024], esc[2048], out[2200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "pinlab-agent: %s\n", msg);
	if (g_log_fd >= 0)
		logmsg("startup failed: %s", msg);
	jesc(esc, sizeof esc, msg);
	snprintf(out, sizeof out, "{\"ok\":false,\"error\":\"startup: %s\"}", esc);
	reply(out);
	if (g_mounted || g_fuse_thread_started)
		cleanup_and_exit(2);
	if (g_mnt[0])
		rmdir(g_mnt);
	exit(2);
}

static void prepare_workdir(void)
{
	struct stat st;
	if (stat(g_dir, &st) < 0 || !S_ISDIR(st.st_mode))
		startup_fail("workdir %s is not a directory", g_dir);
	/* a stale mount left by a crashed agent */
	for (int i = 0; i < 16 && mounted_at(g_mnt); i++) {
		if (umount2(g_mnt, MNT_DETACH) < 0)
			startup_fail("cannot detach the stale mount at %s: %s", g_mnt, strerror(errno));
		fprintf(stderr, "pinlab-agent: detached a stale mount at %s\n", g_mnt);
	}
	/* DIR/mnt must be absent or an empty directory; anything else in DIR
	 * (the caller's agent.stderr, an old agent.log) is left alone */
	if (lstat(g_mnt, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || rmdir(g_mnt) < 0)
			startup_fail("%s exists and is not an empty directory", g_mnt);
	}
}

static void usage_fail(void) __attribute__((noreturn));
static void usage_fail(void)
{
	startup_fail("usage: pinlab-agent --workdir DIR [--step-timeout-ms N]");
}

int main(int argc, char **argv)
{
	g_agent_pid = getpid();
	const char *dir = NULL;
	for (int i = 1; i < argc; i++) {
		long v;
		if (!strcmp(argv[i], "--workdir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strncmp(argv[i], "--workdir=", 10))
			dir = argv[i] + 10;
		else if (!strcmp(argv[i], "--step-timeout-ms") && i + 1 < argc && parse_long(argv[++i], 1, 3600000, &v))
			g_timeout_ms = (int)v;
		else if (!strncmp(argv[i], "--step-timeout-ms=", 18) && parse_long(argv[i] + 18, 1, 3600000, &v))
			g_timeout_ms = (int)v;
		else
			usage_fail();
	}
	if (!dir)
		usage_fail();
	if (!realpath(dir, g_dir))
		startup_fail("workdir %s: %s", dir, strerror(errno));
	snprintf(g_mnt, sizeof g_mnt, "%s/mnt", g_dir);
	snprintf(g_data_path, sizeof g_data_path, "%s/data", g_mnt);
	snprintf(g_log_path, sizeof g_log_path, "%s/agent.log", g_dir);
	for (int i = 0; i < MAX_CHAN; i++)
		g_ch[i].owner = -1;

	prepare_workdir();
	g_log_fd = open(g_log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (g_log_fd < 0)
		startup_fail("open %s: %s", g_log_path, strerror(errno));
	logmsg("pinlab-agent starting: workdir %s, step timeout %d ms", g_dir, g_timeout_ms);
	if (chdir(g_dir) < 0)
		startup_fail("chdir %s: %s", g_dir, strerror(errno));
	if (mkdir(g_mnt, 0755) < 0)
		startup_fail("mkdir %s: %s", g_mnt, strerror(errno));

	/* signals: termination signals arrive through a signalfd */
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigaddset(&term, SIGHUP);
	sigprocmask(SIG_BLOCK, &term, NULL);
	g_sigfd = signalfd(-1, &term, SFD_CLOEXEC | SFD_NONBLOCK);
	if (g_sigfd < 0)
		startup_fail("signalfd: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = sigusr1_handler; /* no SA_RESTART: interrupts the FUSE thread's read */
	sigaction(SIGUSR1, &sa, NULL);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		logmsg("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));

	int np[2];
	if (pipe2(np, O_NONBLOCK | O_CLOEXEC) < 0)
		startup_fail("pipe: %s", strerror(errno));
	g_notify_r = np[0];
	g_notify_w = np[1];

	/* FUSE */
	fuse_set_log_func(fuse_log_to_file);
	char *fargv[] = {"pinlab-agent", "-o", "fsname=pinlab,subtype=pinlab", NULL};
	struct fuse_args fargs = FUSE_ARGS_INIT(3, fargv);
	g_se = fuse_session_new(&fargs, &g_fops, sizeof g_fops, NULL);
	if (!g_se)
		startup_fail("fuse_session_new failed (see %s)", g_log_path);
	if (fuse_session_mount(g_se, g_mnt) != 0)
		startup_fail("fuse_session_mount %s failed (is /dev/fuse there? root?) (see %s)", g_mnt, g_log_path);
	g_mounted = true;
	int e = pthread_create(&g_fuse_thread, NULL, fuse_thread_main, NULL);
	if (e)
		startup_fail("pthread_create: %s", strerror(e));
	g_fuse_thread_started = true;
	logmsg("FUSE mounted at %s", g_mnt);

	/* command loop */
	static char in[65536];
	size_t inlen = 0;
	bool skipping = false;
	for (;;) {
		char *nl = memchr(in, '\n', inlen);
		if (nl) {
			*nl = 0;
			size_t l = (size_t)(nl - in) + 1;
			static char line[65536];
			memcpy(line, in, l);
			memmove(in, in + l, inlen - l);
			inlen -= l;
			if (skipping) {
				skipping = false;
				continue;
			}
			check_signal();
			if (strlen(line) > 8000)
				reply_err("bad command: line too long");
			else
				dispatch(line);
			continue;
		}
		if (inlen == sizeof in) {
			if (!skipping)
				reply_err("bad command: line too long");
			skipping = true;
			inlen = 0;
		}
		struct pollfd pf = {.fd = 0, .events = POLLIN};
		agent_poll(&pf, 1, -1);
		if (!pf.revents)
			continue;
		ssize_t n = read(0, in + inlen, sizeof in - inlen);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			if (inlen > 0 && !skipping) {
				in[inlen] = 0;
				dispatch(in);
			}
			logmsg("EOF on stdin");
			cleanup_and_exit(0);
		}
		inlen += (size_t)n;
	}
}
