/*
 * pinlab-agent: small system helpers shared by the agent and the scenario processes: clocks, logging,
 * writing and polling file descriptors, reading /proc.
 */
#include "agent.h"

#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void write_all(int fd, const char *buf, size_t len)
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

void logmsg(const char *fmt, ...)
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

int poll_one(int fd, short ev, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = ev};
	int r;
	do {
		r = poll(&p, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	return r > 0 && (p.revents & (ev | POLLERR | POLLHUP)) ? 1 : r < 0 ? -1 : 0;
}

int worker_timeout_ms(void)
{
	/* a worker gives up a little before the agent does, so its own
	 * "timeout" reply reaches the agent */
	return g_timeout_ms > 1000 ? g_timeout_ms - 500 : g_timeout_ms / 2;
}

/* reads the start of a small /proc file of PID into buf, NUL-terminated; false if it cannot */
bool read_proc_file(pid_t pid, const char *name, char *buf, size_t size)
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

/* a mountinfo field with \ooo escapes undone, into dst */
static void unescape(const char *s, char *dst, size_t dsz)
{
	size_t o = 0;
	for (; *s && o + 1 < dsz; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			dst[o++] = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			dst[o++] = *s;
		}
	}
	dst[o] = 0;
}

/* one line of /proc/self/mountinfo: "id parent maj:min root point options [optional...] - fstype source super" */
static bool parse_mountinfo_line(char *line, struct mntent_info *m)
{
	char *tok[64];
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, " \n", &save); t && n < 64; t = strtok_r(NULL, " \n", &save))
		tok[n++] = t;
	if (n < 6)
		return false;
	int sep = -1;
	for (int i = 6; i < n; i++)
		if (!strcmp(tok[i], "-")) {
			sep = i;
			break;
		}
	if (sep < 0 || sep + 2 >= n)
		return false;
	memset(m, 0, sizeof *m);
	m->id = atoi(tok[0]);
	if (sscanf(tok[2], "%u:%u", &m->major, &m->minor) != 2)
		return false;
	unescape(tok[4], m->point, sizeof m->point);
	unescape(tok[sep + 1], m->fstype, sizeof m->fstype);
	unescape(tok[sep + 2], m->source, sizeof m->source);
	return true;
}

/* calls fn for every mount of /proc/self/mountinfo, oldest first, until it returns false; false if the file
 * cannot be read.  Reading mountinfo sends nothing to any file system (a FUSE daemon is never asked). */
bool mountinfo_each(bool (*fn)(const struct mntent_info *m, void *arg), void *arg)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char *line = NULL;
	size_t cap = 0;
	struct mntent_info m;
	while (getline(&line, &cap, f) > 0)
		if (parse_mountinfo_line(line, &m) && !fn(&m, arg))
			break;
	free(line);
	fclose(f);
	return true;
}

struct find_arg {
	const char *path;
	struct mntent_info *out;
	bool found;
};

static bool find_cb(const struct mntent_info *m, void *arg)
{
	struct find_arg *a = arg;
	if (!strcmp(m->point, a->path)) {
		a->found = true;
		if (a->out)
			*a->out = *m; /* the last one wins: the mount on top */
	}
	return true;
}

/* whether something is mounted on path; the topmost such mount into out (may be NULL) */
bool mount_at(const char *path, struct mntent_info *out)
{
	struct find_arg a = {path, out, false};
	mountinfo_each(find_cb, &a);
	return a.found;
}

bool mounted_at(const char *path)
{
	return mount_at(path, NULL);
}

/* whether path is dir itself or below it */
bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == 0 || path[n] == '/');
}
