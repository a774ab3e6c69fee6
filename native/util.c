/*
 * pinlab-agent: small system helpers shared by the agent and the scenario processes: clocks, logging,
 * writing and polling file descriptors, reading /proc.
 */
#include "agent.h"

#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
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

/* the mount point field of a mountinfo line, \ooo unescaped, into mp; false if the line is short */
static bool mountinfo_point(char *line, char *mp, size_t mpsz)
{
	/* id parent maj:min root mountpoint ... */
	char *tok[6];
	char *save = NULL;
	int n = 0;
	for (char *t = strtok_r(line, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	if (n < 5)
		return false;
	size_t o = 0;
	for (const char *s = tok[4]; *s && o + 1 < mpsz; s++) {
		if (s[0] == '\\' && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
		    isdigit((unsigned char)s[3])) {
			mp[o++] = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			mp[o++] = *s;
		}
	}
	mp[o] = 0;
	return true;
}

bool mounted_at(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char line[4096], mp[4096];
	bool found = false;
	while (!found && fgets(line, sizeof line, f))
		found = mountinfo_point(line, mp, sizeof mp) && !strcmp(mp, path);
	fclose(f);
	return found;
}
