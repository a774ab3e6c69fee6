/*
 * pinlab-agent: the agent's life: command-line arguments, preparing the work directory, termination signals
 * (a signalfd polled with every wait), and the cleanup that runs on every way out (shutdown, EOF, SIGTERM,
 * SIGINT, SIGHUP, a startup failure): kill and reap every scenario process, fail FUSE requests, unmount
 * FUSE, close the scenario files, unmount the file systems and detach their loop devices.
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
int g_sigfd = -1;
bool g_shutdown_reply;

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
	exit(2);
}

static void usage_fail(void) __attribute__((noreturn));
static void usage_fail(void)
{
	startup_fail("usage: pinlab-agent --workdir DIR [--step-timeout-ms N]");
}

/* --workdir DIR [--step-timeout-ms N]; returns DIR */
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
		else
			usage_fail();
	}
	if (!dir)
		usage_fail();
	return dir;
}

static void prepare_workdir(void)
{
	struct stat st;
	if (stat(g_dir, &st) < 0 || !S_ISDIR(st.st_mode))
		startup_fail("workdir %s is not a directory", g_dir);
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
	prepare_workdir();
	g_log_fd = open(g_log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (g_log_fd < 0)
		startup_fail("open %s: %s", g_log_path, strerror(errno));
	logmsg("pinlab-agent starting: workdir %s, step timeout %d ms", g_dir, g_timeout_ms);
	if (chdir(g_dir) < 0)
		startup_fail("chdir %s: %s", g_dir, strerror(errno));
	bind_one_cpu();
	logmsg("running on CPU %d", g_cpu);
	setup_signals();
	ksm_startup();
	uprobe_startup();
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
	last_reap();
	logmsg("cleanup done");
	if (g_shutdown_reply)
		reply("{\"ok\":true}");
	_exit(code);
}
