/*
 * pinlab-agent: the wire format: splitting a command line into tokens, parsing numbers, and formatting the
 * one-line JSON replies (docs/replay-protocol.md).
 */
#include "agent.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JSON string escape of s into dst (without quotes) */
void jesc(char *dst, size_t dsz, const char *s)
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
void json_err(char *out, size_t osz, const char *fmt, ...)
{
	char msg[768], esc[1536];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	jesc(esc, osz > 64 && osz - 32 < sizeof esc ? osz - 32 : sizeof esc, msg);
	snprintf(out, osz, "{\"ok\":false,\"error\":\"%s\"}", esc);
}

/* a decimal number in [min, max]: digits only, no sign unless min < 0 ('-' then), no leading zero except "0"
 * itself, no "-0", no white space, no octal or hex prefix */
bool parse_long(const char *s, long min, long max, long *out)
{
	if (!s || !*s)
		return false;
	const char *d = s;
	if (*d == '-') {
		if (min >= 0)
			return false;
		d++;
	}
	if (*d < '0' || *d > '9' || (d[0] == '0' && (d[1] || d != s)))
		return false;
	for (const char *p = d; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* the first byte of line[0..len) that may not be in a command (NUL, a control character other than tab or
 * CR, DEL, or a byte >= 0x80), or -1 if there is none */
long bad_byte(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t' && c != '\r') || c >= 0x7f)
			return (long)i;
	}
	return -1;
}

int tokenize(char *line, char **tok, int max)
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

void join_tokens(char *dst, size_t dsz, char **tok, int n)
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

/* writes one reply line to stdout */
void reply(const char *json)
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

void reply_err(const char *fmt, ...)
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
