/*
 * pinlab-agent: I/O the agent does itself on scenario files, as the kernel or an observer would, through the
 * descriptors of its own that files.c opens (never through the scenario processes' descriptor, whose error
 * cursor f_wb_err is what the scenario's fsync reports):
 *   - `writeback FID PAGE COUNT FLAGS`: sync_file_range() of the pages (what the flusher, a kernel thread,
 *     does to them); its waits advance only the agent's own descriptor's error cursor.
 *   - `evict FID PAGE COUNT`: posix_fadvise(POSIX_FADV_DONTNEED) of the pages, which evicts every clean,
 *     unmapped page that nothing but the page cache references (mapping_evict_folio()).
 *   - `file_read FID CELL`: a buffered 1-byte pread (the page cache, or the disk through it).
 *   - `file_errors FID`: whether an error was recorded in the file's mapping (errseq wb_err) since it was made.
 */
#include "agent.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void reply_ret(long ret)
{
	char out[64];
	snprintf(out, sizeof out, "{\"ok\":true,\"ret\":%ld}", ret);
	reply(out);
}

static bool cmd_writeback(char **tok, int nt)
{
	long page, count;
	unsigned flags;
	if (nt != 5 || !parse_long(tok[2], 0, MAX_PAGES - 1, &page) || !parse_pages(tok[3], &count) ||
	    !parse_sfr_flags(tok[4], &flags)) {
		reply_err("bad command: writeback FID PAGE COUNT none|wait_before|write|wait_after[|...]");
		return true;
	}
	const struct pfile *f = agent_file("writeback", tok[1]);
	if (!f)
		return true;
	int r = sync_file_range(f->own_fd, (off_t)page * (off_t)PAGE_SZ, (off_t)count * (off_t)PAGE_SZ, flags);
	reply_ret(r < 0 ? -errno : r);
	return true;
}

static bool cmd_evict(char **tok, int nt)
{
	long page, count;
	if (nt != 4 || !parse_long(tok[2], 0, MAX_PAGES - 1, &page) || !parse_pages(tok[3], &count)) {
		reply_err("bad command: evict FID PAGE COUNT");
		return true;
	}
	const struct pfile *f = agent_file("evict", tok[1]);
	if (!f)
		return true;
	reply_ret(-posix_fadvise(f->own_fd, (off_t)page * (off_t)PAGE_SZ, (off_t)count * (off_t)PAGE_SZ,
				 POSIX_FADV_DONTNEED));
	return true;
}

static bool cmd_file_read(char **tok, int nt)
{
	long cell;
	if (nt != 3 || !parse_cell(tok[2], &cell)) {
		reply_err("bad command: file_read FID CELL");
		return true;
	}
	const struct pfile *f = agent_file("file_read", tok[1]);
	if (!f)
		return true;
	uint8_t b;
	ssize_t r = pread(f->own_fd, &b, 1, (off_t)cell_off(cell));
	char out[80];
	snprintf(out, sizeof out, "{\"ok\":true,\"ret\":%ld,\"value\":%d}", r < 0 ? (long)-errno : (long)r,
		 r == 1 ? b : -1);
	reply(out);
	return true;
}

/*
 * sync_file_range(SYNC_FILE_RANGE_WAIT_BEFORE) of the whole file through a descriptor only this command uses:
 * it writes nothing back, waits for writeback in flight, and returns file_check_and_advance_wb_err(), the
 * error fsync of a descriptor opened with the file would report.  So it reports an error once.
 */
static bool cmd_file_errors(char **tok, int nt)
{
	if (nt != 2) {
		reply_err("bad command: file_errors FID");
		return true;
	}
	const struct pfile *f = agent_file("file_errors", tok[1]);
	if (!f)
		return true;
	int r = sync_file_range(f->err_fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE);
	reply_ret(r < 0 ? -errno : r);
	return true;
}

const struct agent_cmd ownio_agent_cmds[] = {
	{"writeback", cmd_writeback},
	{"evict", cmd_evict},
	{"file_read", cmd_file_read},
	{"file_errors", cmd_file_errors},
	{NULL, NULL},
};
