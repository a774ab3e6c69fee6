/*
 * pinlab-agent: worker threads.  Every scenario process runs one worker pthread per channel it serves; a
 * worker reads "SEQ COMMAND" lines from its channel's command pipe, runs the command (the tables of the
 * files that define worker commands) and writes "SEQ JSON" to the reply pipe.  `fork` and `exit` live here
 * because they act on the process as a whole.
 */
#include "agent.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* fork CHAN...: returns in the parent only */
static bool w_fork(char **av, int ac, char *out, size_t osz)
{
	int chans[MAX_CHAN];
	int n = 0;
	for (int i = 1; i < ac; i++) {
		long c;
		if (!parse_long(av[i], 0, g_nchan - 1, &c) || n == MAX_CHAN) {
			json_err(out, osz, "bad command: fork: bad channel '%s'", av[i]);
			return true;
		}
		chans[n++] = (int)c;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		json_err(out, osz, "fork: %s", strerror(errno));
		return true;
	}
	if (pid == 0) {
		/* child: only this thread exists */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		uring_forked_child();
		start_workers(chans, n);
		for (;;)
			pause();
	}
	snprintf(out, osz, "{\"ok\":true,\"pid\":%d}", (int)pid);
	return true;
}

static bool w_exit(char **av, int ac, char *out, size_t osz)
{
	(void)av;
	(void)out;
	(void)osz;
	if (ac != 1)
		return false;
	_exit(0);
}

static void worker_exec(char **av, int ac, char *out, size_t osz, const char *line);

/*
 * batch CMD ; CMD ...: a free run.  The commands (worker commands separated by ";" tokens; no batch among
 * them) are checked for shape first, then the worker waits at the start gate (one byte of the gate pipe,
 * written by the agent's `go`), then runs them back to back, with no barrier in between, and replies with
 * every reply in order: {"ok":true,"replies":[...]}.  A command that fails still lets the next ones run; a
 * command that kills the process ends the batch without a reply (`finish` says died).
 */
static bool w_batch(char **av, int ac, char *out, size_t osz)
{
	int starts[MAX_TOKENS];
	int ends[MAX_TOKENS];
	int n = 0;
	for (int i = 1; ac > 1 && i <= ac;) {
		int j = i;
		while (j < ac && strcmp(av[j], ";"))
			j++;
		if (j == i || !strcmp(av[i], "batch")) {
			json_err(out, osz, "bad command: batch: an empty or nested command at token %d", i);
			return true;
		}
		starts[n] = i;
		ends[n++] = j;
		i = j + 1;
		if (j == ac)
			break;
	}
	for (;;) {
		char c;
		ssize_t r = read(g_gate_r, &c, 1);
		if (r == 1)
			break;
		if (r < 0 && errno == EINTR)
			continue;
		json_err(out, osz, "batch: start gate: %s", r == 0 ? "closed" : strerror(errno));
		return true;
	}
	char sub[2048];
	char line[CMD_MAX + 128];
	size_t len = (size_t)snprintf(out, osz, "{\"ok\":true,\"replies\":[");
	for (int k = 0; k < n; k++) {
		join_tokens(line, sizeof line, av + starts[k], ends[k] - starts[k]);
		worker_exec(av + starts[k], ends[k] - starts[k], sub, sizeof sub, line);
		int w = snprintf(out + len, osz - len, "%s%s", k ? "," : "", sub);
		if (w < 0 || (size_t)w >= osz - len - 2) {
			json_err(out, osz, "batch: the replies do not fit in %zu bytes", osz);
			return true;
		}
		len += (size_t)w;
	}
	snprintf(out + len, osz - len, "]}");
	return true;
}

/*
 * spread: this worker thread may run on every CPU the agent was allowed at startup, not only the agent's one
 * (sched_setaffinity of the calling thread only).  For free runs whose threads should run in parallel; reclaim
 * and refcount checks then see other CPUs' folio batches (see the agent's one-CPU binding).
 */
static bool w_spread(char **av, int ac, char *out, size_t osz)
{
	(void)av;
	if (ac != 1)
		return false;
	if (sched_setaffinity(0, sizeof g_allowed_cpus, &g_allowed_cpus) < 0) {
		json_err(out, osz, "spread: sched_setaffinity: %s", strerror(errno));
		return true;
	}
	snprintf(out, osz, "{\"ok\":true,\"cpus\":%d}", CPU_COUNT(&g_allowed_cpus));
	return true;
}

const struct worker_cmd worker_ctl_cmds[] = {
	{"spread", w_spread},
	{"fork", w_fork},
	{"exit", w_exit},
	{"batch", w_batch},
	{NULL, NULL},
};

static const struct worker_cmd *const g_worker_tables[] = {
	worker_ctl_cmds, mem_worker_cmds, pipe_worker_cmds, uring_worker_cmds, dio_worker_cmds, fileio_worker_cmds,
};

/* Runs one worker command; fills out with the JSON reply. */
static void worker_exec(char **av, int ac, char *out, size_t osz, const char *line)
{
	for (size_t t = 0; t < sizeof g_worker_tables / sizeof g_worker_tables[0]; t++)
		for (const struct worker_cmd *w = g_worker_tables[t]; w->name; w++)
			if (!strcmp(av[0], w->name)) {
				if (!w->run(av, ac, out, osz))
					json_err(out, osz, "bad command: %s", line);
				return;
			}
	json_err(out, osz, "bad command: %s", line);
}

/* reads one command line (without the newline) from fd; false at EOF or on an error */
static bool read_line(int fd, char *line, size_t size)
{
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r == 1) {
			if (c == '\n')
				break;
			if (n < size - 1)
				line[n++] = c;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else {
			return false;
		}
	}
	line[n] = 0;
	return true;
}

static void *worker_main(void *arg)
{
	int ch = (int)(intptr_t)arg;
	char line[CMD_MAX + 128];
	char copy[CMD_MAX + 128];
	char out[CMD_MAX];
	char rep[CMD_MAX + 128];
	while (read_line(g_cmd_r[ch], line, sizeof line)) {
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
	return NULL;
}

void start_workers(const int *chans, int n)
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
