/*
 * pinlab-agent: channels, the agent's side of the workers.  `init` makes one command pipe and one reply pipe
 * per channel (before any scenario process exists, so every process inherits them all); `send`, `start`
 * and `finish` write "SEQ COMMAND" lines to a worker and wait for its "SEQ JSON" reply, watching the
 * serving process's pidfd so that a death is seen.
 */
#include "agent.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool g_inited;
int g_nchan;
int g_cmd_r[MAX_CHAN], g_rep_w[MAX_CHAN];
static int g_cmd_w[MAX_CHAN], g_rep_r[MAX_CHAN];
/* the start gate of `batch`: workers read one byte from g_gate_r before they run; `go N` writes N bytes */
int g_gate_r = -1;
static int g_gate_w = -1;

struct chan {
	struct proc *owner; /* NULL if none */
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

bool chan_free(int c)
{
	return !g_ch[c].owner || proc_dead(g_ch[c].owner);
}

/* forget whatever a dead owner left in the channel's pipes (a command sent after it died, a late reply).
 * Called before the process that will serve the channel is forked: its workers start reading the command
 * pipe at once, and would otherwise run a stale command (e.g. a load that faults in the new process). */
void chan_clear(int c)
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

/* channel c is now served by process pr (chan_clear ran before it was forked) */
void chan_give(int c, struct proc *pr)
{
	g_ch[c].owner = pr;
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
	struct proc *pr = ch->owner;
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

/* a fork command: remembers the channels the child will serve; false (after replying) if one is taken */
static bool chan_note_fork(struct chan *ch, char **tok, int nt)
{
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
	for (int i = 0; i < ch->nfork; i++)
		chan_clear(ch->fork_chans[i]);
	ch->pending_fork = true;
	return true;
}

/* a batch: at most one of its commands may be a fork, whose channels are noted as for a fork command */
static bool chan_note_batch_fork(struct chan *ch, char **tok, int nt)
{
	int at = -1;
	for (int i = 1; i < nt; i++)
		if (!strcmp(tok[i], "fork") && (i == 1 || !strcmp(tok[i - 1], ";"))) {
			if (at >= 0) {
				reply_err("bad command: batch: at most one fork");
				return false;
			}
			at = i;
		}
	if (at < 0)
		return true;
	int end = at + 1;
	while (end < nt && strcmp(tok[end], ";"))
		end++;
	return chan_note_fork(ch, tok + at, end - at);
}

/* send "SEQ cmd" to channel c; returns false (after replying) on error */
static bool chan_start(int c, char **tok, int nt)
{
	struct chan *ch = &g_ch[c];
	if (!ch->owner) {
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
	if (!strcmp(tok[0], "fork") && !chan_note_fork(ch, tok, nt))
		return false;
	if (!strcmp(tok[0], "batch") && !chan_note_batch_fork(ch, tok, nt))
		return false;
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

/* a successful fork reply: the child serves the channels named in the command */
static void chan_forked(int c, const char *out)
{
	struct chan *ch = &g_ch[c];
	int pid = extract_pid(out);
	if (pid <= 0)
		return;
	struct proc *pr = proc_add(pid);
	if (pr)
		for (int i = 0; i < ch->nfork; i++)
			chan_give(ch->fork_chans[i], pr);
	logmsg("fork from channel %d: pid %d", c, pid);
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
	if (was_fork && strstr(out, "\"ok\":true"))
		chan_forked(c, out);
	reply(out);
}

static bool cmd_init(char **tok, int nt)
{
	long nc, np;
	if (nt != 3 || !parse_long(tok[1], 1, MAX_CHAN, &nc) || !parse_long(tok[2], 0, MAX_PIPES, &np)) {
		reply_err("bad command: init NCHAN(1..%d) NPIPES(0..%d)", MAX_CHAN, MAX_PIPES);
		return true;
	}
	if (g_inited) {
		reply_err("init: already done");
		return true;
	}
	for (int i = 0; i < nc; i++) {
		int a[2], b[2];
		if (pipe(a) < 0 || pipe(b) < 0) {
			reply_err("init: pipe: %s", strerror(errno));
			return true;
		}
		g_cmd_r[i] = a[0];
		g_cmd_w[i] = a[1];
		g_rep_r[i] = b[0];
		g_rep_w[i] = b[1];
		g_ch[i].owner = NULL;
	}
	if (!pipes_make((int)np)) {
		reply_err("init: pipe: %s", strerror(errno));
		return true;
	}
	int gate[2];
	if (pipe(gate) < 0) {
		reply_err("init: pipe: %s", strerror(errno));
		return true;
	}
	g_gate_r = gate[0];
	g_gate_w = gate[1];
	g_nchan = (int)nc;
	g_inited = true;
	reply("{\"ok\":true}");
	return true;
}

static bool parse_chan(const char *s, int *c)
{
	long x;
	if (!g_inited || !parse_long(s, 0, g_nchan - 1, &x))
		return false;
	*c = (int)x;
	return true;
}

static bool cmd_send_or_start(char **tok, int nt)
{
	int ch;
	if (nt < 3 || !parse_chan(tok[1], &ch))
		return false;
	if (!chan_start(ch, tok + 2, nt - 2))
		return true;
	if (!strcmp(tok[0], "send"))
		chan_finish(ch);
	else
		reply("{\"ok\":true}");
	return true;
}

static bool cmd_finish(char **tok, int nt)
{
	int ch;
	if (nt != 2 || !parse_chan(tok[1], &ch))
		return false;
	if (!g_ch[ch].pending) {
		reply_err("finish: nothing started on channel %d", ch);
		return true;
	}
	chan_finish(ch);
	return true;
}

/* go N: opens the start gate for N workers waiting in (or about to run) `batch` */
static bool cmd_go(char **tok, int nt)
{
	long n;
	if (nt != 2 || !parse_long(tok[1], 1, MAX_CHAN, &n))
		return false;
	if (!g_inited) {
		reply_err("go: init first");
		return true;
	}
	char bytes[MAX_CHAN];
	memset(bytes, 'g', sizeof bytes);
	write_all(g_gate_w, bytes, (size_t)n);
	reply("{\"ok\":true}");
	return true;
}

const struct agent_cmd channel_agent_cmds[] = {
	{"init", cmd_init},
	{"go", cmd_go},
	{"send", cmd_send_or_start},
	{"start", cmd_send_or_start},
	{"finish", cmd_finish},
	{NULL, NULL},
};
