/*
 * pinlab-agent: data pipes, the "device" of vmsplice and of io_uring READ_FIXED/WRITE_FIXED.  `init` makes
 * them in the agent; the agent writes bytes into them (`pipe_write`); workers vmsplice pages into them and
 * peek at what they hold.
 */
#include "agent.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int g_npipes;
int g_data_r[MAX_PIPES], g_data_w[MAX_PIPES];

/* makes data pipes 0..n-1, each sized to DATA_PIPE_SIZE; false (errno set) if pipe() fails */
bool pipes_make(int n)
{
	for (int i = 0; i < n; i++) {
		int a[2];
		if (pipe(a) < 0)
			return false;
		if (fcntl(a[1], F_SETPIPE_SZ, DATA_PIPE_SIZE) < 0)
			logmsg("F_SETPIPE_SZ: %s", strerror(errno));
		g_data_r[i] = a[0];
		g_data_w[i] = a[1];
	}
	g_npipes = n;
	return true;
}

static bool cmd_pipe_write(char **tok, int nt)
{
	long p, v;
	if (nt != 3 || !g_inited || !parse_long(tok[1], 0, g_npipes - 1, &p) || !parse_long(tok[2], 0, 255, &v)) {
		reply_err("bad command: pipe_write PIPE VALUE");
		return true;
	}
	struct pollfd pf = {.fd = g_data_w[p], .events = POLLOUT};
	int r = agent_poll(&pf, 1, now_ms() + g_timeout_ms);
	if (r <= 0 || !(pf.revents & POLLOUT)) {
		reply_err("timeout: pipe %ld is full", p);
		return true;
	}
	uint8_t b = (uint8_t)v;
	if (write(g_data_w[p], &b, 1) != 1) {
		reply_err("pipe_write: %s", strerror(errno));
		return true;
	}
	reply("{\"ok\":true}");
	return true;
}

static bool w_vmsplice(char **av, int ac, char *out, size_t osz)
{
	long p, slot, pages;
	if (ac != 4 || !parse_long(av[1], 0, g_npipes - 1, &p) || !parse_slot(av[2], &slot) ||
	    !parse_pages(av[3], &pages))
		return false;
	struct iovec iov = {.iov_base = slot_addr(slot), .iov_len = (size_t)pages * PAGE_SZ};
	/* no SPLICE_F_GIFT: the pipe takes plain (FOLL_GET) page references.
	 * SPLICE_F_NONBLOCK only keeps a full pipe from hanging the worker. */
	ssize_t n = vmsplice(g_data_w[p], &iov, 1, SPLICE_F_NONBLOCK);
	snprintf(out, osz, "{\"ok\":true,\"ret\":%ld}", n < 0 ? (long)-errno : (long)n);
	return true;
}

/* reads byte off of what the scratch pipe rd holds; -1 if it holds fewer bytes */
static int pipe_byte_at(int rd, size_t off)
{
	uint8_t buf[16384];
	size_t got = 0;
	int value = -1;
	while (got <= off) {
		ssize_t r = read(rd, buf, sizeof buf);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		if (off < got + (size_t)r)
			value = buf[off - got];
		got += (size_t)r;
	}
	return value;
}

static bool w_pipe_peek(char **av, int ac, char *out, size_t osz)
{
	long p, cell;
	if (ac != 3 || !parse_long(av[1], 0, g_npipes - 1, &p) || !parse_cell(av[2], &cell)) {
		json_err(out, osz, "bad command: pipe_peek PIPE CELL");
		return true;
	}
	size_t off = cell_off(cell);
	int sp[2];
	if (pipe(sp) < 0) {
		json_err(out, osz, "pipe_peek: pipe: %s", strerror(errno));
		return true;
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
		return true;
	}
	close(sp[1]);
	if ((size_t)n < off + 1) {
		close(sp[0]);
		json_err(out, osz, "pipe_peek: pipe %ld holds only %zd bytes", p, n);
		return true;
	}
	int value = pipe_byte_at(sp[0], off);
	close(sp[0]);
	if (value < 0)
		json_err(out, osz, "pipe_peek: short read from the tee");
	else
		snprintf(out, osz, "{\"ok\":true,\"value\":%d}", value);
	return true;
}

const struct agent_cmd pipe_agent_cmds[] = {
	{"pipe_write", cmd_pipe_write},
	{NULL, NULL},
};

const struct worker_cmd pipe_worker_cmds[] = {
	{"vmsplice", w_vmsplice},
	{"pipe_peek", w_pipe_peek},
	{NULL, NULL},
};
