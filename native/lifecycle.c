/*
 * pinlab-agent: the agent's life: command-line arguments, preparing the work directory, termination signals
 * (a signalfd polled with every wait), and the cleanup that runs on every way out (shutdown, EOF, SIGTERM,
 * SIGINT, SIGHUP, a startup failure): release a held FUSE loop, kill and reap every scenario process, fail
 * FUSE requests, unmount FUSE, close the scenario files, unmount the file systems and detach their loop
 * devices.  DIR/agent.pid (pid, start time, an flock) says whether the owner of DIR is alive; a dead owner's
 * leftovers are removed at startup, and `--cleanup-only` does only that and exits.
 */
#include "agent.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

char g_dir[PATH_MAX];
char g_log_path[PATH_MAX + 16];
int g_timeout_ms = 5000;
int g_log_fd = -1;
pid_t g_agent_pid;
int g_cpu = -1;
cpu_set_t g_allowed_cpus; /* what the agent could run on before it bound itself (for `spread`) */
int g_sigfd = -1;
bool g_shutdown_reply;
bool g_cleanup_only;
int g_pid_fd = -1;                  /* DIR/agent.pid, locked (flock) while the agent lives */
static char g_pid_path[PATH_MAX + 16];
static bool g_pid_written;
static long g_prev_pid;             /* the pid a predecessor's agent.pid named, 0 if none */

/* removes DIR/agent.pid if this agent wrote it (the last thing before the agent exits) */
static void remove_pid_file(void)
{
	if (!g_pid_written)
		return;
	unlink(g_pid_path);
	close(g_pid_fd);
	g_pid_fd = -1;
	g_pid_written = false;
}

void startup_fail(const char *fmt, ...)
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
	if (fuse_active())
		cleanup_and_exit(2);
	fuse_remove_dir();
	remove_pid_file();
	exit(2);
}

static void usage_fail(void) __attribute__((noreturn));
static void usage_fail(void)
{
	startup_fail("usage: pinlab-agent --workdir DIR [--step-timeout-ms N] [--cleanup-only]");
}

/* --workdir DIR [--step-timeout-ms N] [--cleanup-only]; returns DIR */
static const char *parse_args(int argc, char **argv)
{
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
		else if (!strcmp(argv[i], "--cleanup-only"))
			g_cleanup_only = true;
		else
			usage_fail();
	}
	if (!dir)
		usage_fail();
	return dir;
}

/* field 22 of /proc/PID/stat (start time in clock ticks since boot) and the state; false if gone */
static bool proc_start(pid_t pid, unsigned long long *start, char *state)
{
	char buf[2048];
	if (!read_proc_file(pid, "stat", buf, sizeof buf))
		return false;
	char *p = strrchr(buf, ')');
	if (!p)
		return false;
	/* after ") ": field 3 is the state, field 22 the start time */
	char *save = NULL;
	int field = 2;
	for (char *t = strtok_r(p + 1, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		field++;
		if (field == 3)
			*state = t[0];
		if (field == 22) {
			*start = strtoull(t, NULL, 10);
			return true;
		}
	}
	return false;
}

/*
 * DIR/agent.pid: "PID STARTTIME\n" (STARTTIME is field 22 of /proc/PID/stat), and an flock held as long as the
 * agent lives.  An agent (or a cleanup run) starting on a DIR whose agent.pid is locked, or names a live
 * process with that start time, refuses to start and changes nothing: the owner is alive.  Otherwise the
 * owner is dead (SIGKILLed) and its leftovers are removed.
 */
static void claim_workdir(void)
{
	snprintf(g_pid_path, sizeof g_pid_path, "%s/agent.pid", g_dir);
	int fd = open(g_pid_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		startup_fail("open %s: %s", g_pid_path, strerror(errno));
	char buf[128] = "";
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	long pid = 0;
	unsigned long long start = 0, now = 0;
	char state = '?';
	bool parsed = sscanf(buf, "%ld %llu", &pid, &start) == 2 && pid > 0 && pid <= INT_MAX;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			startup_fail("%s is in use by a live agent (pid %ld, %s is locked); nothing was changed", g_dir,
				     parsed ? pid : -1L, g_pid_path);
		startup_fail("flock %s: %s", g_pid_path, strerror(e));
	}
	if (parsed && (pid_t)pid != getpid() && proc_start((pid_t)pid, &now, &state) && now == start &&
	    state != 'Z' && state != 'X') {
		close(fd);
		startup_fail("%s is in use by a live agent (pid %ld, per %s); nothing was changed", g_dir, pid,
			     g_pid_path);
	}
	if (parsed)
		fprintf(stderr, "pinlab-agent: %s names pid %ld, which is gone: removing its leftovers\n", g_pid_path,
			pid);
	g_prev_pid = parsed ? pid : 0;
	g_pid_fd = fd;
	unsigned long long mine = 0;
	char st;
	proc_start(getpid(), &mine, &st);
	int len = snprintf(buf, sizeof buf, "%d %llu\n", (int)getpid(), mine);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		startup_fail("write %s: %s", g_pid_path, strerror(errno));
	g_pid_written = true;
}

static void prepare_workdir(void)
{
	/* every mount on DIR/mnt and DIR/fs must be one this agent could have made, else nothing is touched */
	fuse_check_dir();
	fs_check_dir();
	/* stale mounts and loop devices left by a crashed agent are detached; anything else in DIR (the
	 * caller's agent.stderr, an old agent.log) is left alone */
	fuse_prepare_dir();
	fs_prepare_dir();
}

/* termination signals arrive through a signalfd */
static void setup_signals(void)
{
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
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		logmsg("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
}

/*
 * The agent and every process it makes (affinity is inherited) run on one CPU, the lowest it may use.  The
 * kernel keeps new and moved folios in per-CPU batches (mm/swap.c folio_batch) that hold a reference and keep
 * a folio off the LRU until the batch is drained; MADV_PAGEOUT and POSIX_FADV_DONTNEED drain the batch of
 * the CPU they run on (lru_add_drain()).  On one CPU that is every batch, so whether reclaim sees a folio, and
 * the references it counts, do not depend on where an earlier step happened to run.
 */
static void bind_one_cpu(void)
{
	cpu_set_t allowed, one;
	if (sched_getaffinity(0, sizeof allowed, &allowed) < 0)
		startup_fail("sched_getaffinity: %s", strerror(errno));
	g_allowed_cpus = allowed;
	for (int c = 0; c < CPU_SETSIZE && g_cpu < 0; c++)
		if (CPU_ISSET(c, &allowed))
			g_cpu = c;
	CPU_ZERO(&one);
	CPU_SET(g_cpu, &one);
	if (sched_setaffinity(0, sizeof one, &one) < 0)
		startup_fail("sched_setaffinity(CPU %d): %s", g_cpu, strerror(errno));
}

void startup(int argc, char **argv)
{
	g_agent_pid = getpid();
	const char *dir = parse_args(argc, argv);
	if (!realpath(dir, g_dir))
		startup_fail("workdir %s: %s", dir, strerror(errno));
	fuse_set_paths();
	snprintf(g_log_path, sizeof g_log_path, "%s/agent.log", g_dir);
	struct stat st;
	if (stat(g_dir, &st) < 0 || !S_ISDIR(st.st_mode))
		startup_fail("workdir %s is not a directory", g_dir);
	claim_workdir(); /* before anything in DIR is changed: refuses a live agent's DIR */
	g_log_fd = open(g_log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (g_log_fd < 0)
		startup_fail("open %s: %s", g_log_path, strerror(errno));
	logmsg("pinlab-agent starting: workdir %s, step timeout %d ms%s", g_dir, g_timeout_ms,
	       g_cleanup_only ? ", cleanup only" : "");
	if (g_prev_pid)
		logmsg("the previous owner of %s (pid %ld) is gone: removing its leftovers", g_dir, g_prev_pid);
	prepare_workdir();
	if (chdir(g_dir) < 0)
		startup_fail("chdir %s: %s", g_dir, strerror(errno));
	bind_one_cpu();
	logmsg("running on CPU %d", g_cpu);
	setup_signals();
	ksm_startup();
	migrate_restore();
	uprobe_startup();
	if (g_cleanup_only) {
		/* everything a predecessor left is gone now (prepare_workdir, ksm_startup, migrate_restore,
		 * uprobe_startup); a tracefs mount it left on DIR/tracing goes too */
		uprobe_cleanup();
		logmsg("cleanup-only: done");
		remove_pid_file();
		reply("{\"ok\":true,\"cleanup_only\":true}");
		exit(0);
	}
	fuse_start();
}

/* if a termination signal is pending, clean up and exit */
void check_signal(void)
{
	struct signalfd_siginfo si;
	if (poll_one(g_sigfd, POLLIN, 0) == 1 && read(g_sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		logmsg("got signal %u", si.ssi_signo);
		cleanup_and_exit(128 + (int)si.ssi_signo);
	}
}

/* poll fds plus the signalfd; handles signals; returns poll's result */
int agent_poll(struct pollfd *pf, int n, long long deadline)
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

/* kills and reaps every scenario process, failing FUSE requests that would keep a killed task waiting */
static void end_processes(void)
{
	/* a held FUSE loop would leave every killed task that has the FUSE file open waiting for its FLUSH */
	fuse_unhold();
	reap_sweep();
	procs_kill_all();
	long long deadline = now_ms() + 3000;
	bool aborted = false;
	for (;;) {
		fuse_fail_pending();
		reap_sweep();
		if (!have_children())
			break;
		if (now_ms() > deadline - 2000 && !aborted) {
			fuse_abort_connection();
			aborted = true;
		}
		if (now_ms() > deadline) {
			logmsg("cleanup: children still not reaped after 3s");
			break;
		}
		procs_kill_all();
		usleep(5000);
	}
}

static void last_reap(void)
{
	long long deadline = now_ms() + 1000;
	for (;;) {
		reap_sweep();
		if (!have_children() || now_ms() > deadline)
			break;
		usleep(5000);
	}
}

void cleanup_and_exit(int code)
{
	static bool busy;
	if (busy)
		_exit(code);
	busy = true;
	logmsg("cleanup (exit code %d)", code);
	end_processes();
	fuse_stop();
	uprobe_cleanup();
	ksm_restore();
	files_close_all();
	fs_cleanup();
	migrate_restore();
	last_reap();
	logmsg("cleanup done");
	remove_pid_file();
	if (g_shutdown_reply)
		reply("{\"ok\":true}");
	_exit(code);
}
