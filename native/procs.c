/*
 * pinlab-agent: scenario processes as the agent sees them: `spawn`, the process table (pidfds, wait
 * statuses), reaping (the agent is a child subreaper), `alive`, and killing them all at cleanup.
 */
#include "agent.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct proc g_procs[MAX_PROCS];
static int g_nprocs;

static struct proc *proc_find(pid_t pid)
{
	for (int i = g_nprocs - 1; i >= 0; i--)
		if (g_procs[i].pid == pid)
			return &g_procs[i];
	return NULL;
}

struct proc *proc_add(pid_t pid)
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

void reap_sweep(void)
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

bool proc_dead(struct proc *pr)
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
int proc_status(struct proc *pr)
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

int status_signal(int st)
{
	if (st < 0)
		return -1;
	if (WIFSIGNALED(st))
		return WTERMSIG(st);
	return 0;
}

bool have_children(void)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	return !(waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0 && errno == ECHILD);
}

/* whether a scenario process was ever spawned (files and file systems are made before) */
bool procs_started(void)
{
	return g_nprocs > 0;
}

/* SIGKILL every scenario process we know of (their unknown children get SIGKILL from PDEATHSIG and are
 * reparented to us: subreaper) */
void procs_kill_all(void)
{
	for (int i = 0; i < g_nprocs; i++)
		if (!g_procs[i].reaped)
			kill(g_procs[i].pid, SIGKILL);
}

/* a fresh scenario process: default signals, dies with the agent, no core dumps, no agent-private fds */
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
	fuse_close_in_child();
	fs_close_in_child();
	kmsg_close_in_child();
	close(g_sigfd);
	close(g_pid_fd);
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

static bool cmd_spawn(char **tok, int nt)
{
	if (!g_inited) {
		reply_err("spawn: init first");
		return true;
	}
	int chans[MAX_CHAN];
	int n = 0;
	bool seen[MAX_CHAN] = {false};
	for (int i = 1; i < nt; i++) {
		long c;
		if (!parse_long(tok[i], 0, g_nchan - 1, &c)) {
			reply_err("bad command: spawn: bad channel '%s'", tok[i]);
			return true;
		}
		if (seen[c] || !chan_free((int)c)) {
			reply_err("spawn: channel %ld is already served by a live process", c);
			return true;
		}
		seen[c] = true;
		chans[n++] = (int)c;
	}
	if (g_nprocs >= MAX_PROCS) {
		reply_err("spawn: too many processes");
		return true;
	}
	for (int i = 0; i < n; i++)
		chan_clear(chans[i]);
	pid_t pid = fork();
	if (pid < 0) {
		reply_err("spawn: fork: %s", strerror(errno));
		return true;
	}
	if (pid == 0) {
		scenario_child_init();
		start_workers(chans, n);
		for (;;)
			pause();
	}
	struct proc *pr = proc_add(pid);
	for (int i = 0; i < n; i++)
		chan_give(chans[i], pr);
	logmsg("spawned %d", (int)pid);
	char buf[64];
	snprintf(buf, sizeof buf, "{\"ok\":true,\"pid\":%d}", (int)pid);
	reply(buf);
	return true;
}

static bool cmd_alive(char **tok, int nt)
{
	long pid;
	if (nt != 2 || !parse_long(tok[1], 1, INT_MAX, &pid)) {
		reply_err("bad command: alive PID");
		return true;
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
	return true;
}

const struct agent_cmd proc_agent_cmds[] = {
	{"spawn", cmd_spawn},
	{"alive", cmd_alive},
	{NULL, NULL},
};
