/*
 * pinlab-agent: `disk_read FID CELL`, the byte of a scenario file as it is on its block device, found
 * without touching the file's page cache: FIEMAP gives the extent (for btrfs a logical address, mapped to the
 * device offset through the chunk tree), and the byte is read from the loop device's backing image.  For btrfs
 * the agent also checks the block against its data checksum in the checksum tree, as a read from the disk would
 * (crc32c, btrfs's default), without reading the file: an O_DIRECT read of a btrfs file writes back dirty pages
 * first and can become a buffered read (6.18), so it is no way to ask the disk.
 */
#include "agent.h"

#include <endian.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static char g_err[256];

/* where the byte at off of the file lives; phys only for "written" */
struct extent_at {
	const char *state; /* "hole", "delalloc", "unwritten", "written" */
	uint64_t phys;
};

/* FIEMAP of the one byte at off; FIEMAP_FLAG_SYNC with sync (the caller checked that it writes nothing back) */
static bool fiemap_at(int fd, uint64_t off, bool sync, struct extent_at *x)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent fe[1];
	} q;
	memset(&q, 0, sizeof q);
	q.fm.fm_start = off;
	q.fm.fm_length = 1;
	q.fm.fm_flags = sync ? FIEMAP_FLAG_SYNC : 0;
	q.fm.fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, &q.fm) < 0) {
		snprintf(g_err, sizeof g_err, "FIEMAP: %s", strerror(errno));
		return false;
	}
	const struct fiemap_extent *e = &q.fe[0];
	if (q.fm.fm_mapped_extents == 0 || off < e->fe_logical || off >= e->fe_logical + e->fe_length) {
		x->state = "hole";
		return true;
	}
	if (e->fe_flags & (FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN)) {
		x->state = "delalloc";
		return true;
	}
	if (e->fe_flags & (FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_NOT_ALIGNED |
			   FIEMAP_EXTENT_DATA_ENCRYPTED)) {
		snprintf(g_err, sizeof g_err, "the extent is inline or encoded (flags 0x%x): no block to read",
			 e->fe_flags);
		return false;
	}
	x->state = e->fe_flags & FIEMAP_EXTENT_UNWRITTEN ? "unwritten" : "written";
	x->phys = e->fe_physical + (off - e->fe_logical);
	return true;
}

/* a chunk item of the btrfs chunk tree: is logical inside it? then its device offset into *phys */
static bool chunk_maps(const struct btrfs_ioctl_search_header *sh, const struct btrfs_chunk *c, uint64_t logical,
		       uint64_t *phys, bool *found)
{
	uint64_t start = sh->offset, len = le64toh(c->length);
	if (logical < start || logical >= start + len)
		return true;
	*found = true;
	uint64_t type = le64toh(c->type);
	if ((type & BTRFS_BLOCK_GROUP_PROFILE_MASK) || le16toh(c->num_stripes) != 1) {
		snprintf(g_err, sizeof g_err, "btrfs chunk at %llu is not single-profile (type 0x%llx, %u stripes)",
			 (unsigned long long)start, (unsigned long long)type, le16toh(c->num_stripes));
		return false;
	}
	*phys = le64toh(c->stripe.offset) + (logical - start);
	return true;
}

/*
 * btrfs: FIEMAP's fe_physical is a btrfs logical address.  The chunk tree (BTRFS_IOC_TREE_SEARCH, the live
 * tree of the mounted file system) holds one CHUNK_ITEM per chunk, keyed (FIRST_CHUNK_TREE, CHUNK_ITEM,
 * logical start); with a single-profile chunk (one stripe) the device offset is stripe.offset + (logical -
 * start).  The file systems of fs.c are made with -d single, so data chunks always qualify.
 */
static bool btrfs_physical(int fd, uint64_t logical, uint64_t *phys)
{
	struct btrfs_ioctl_search_args a;
	memset(&a, 0, sizeof a);
	a.key.tree_id = BTRFS_CHUNK_TREE_OBJECTID;
	a.key.min_objectid = a.key.max_objectid = BTRFS_FIRST_CHUNK_TREE_OBJECTID;
	a.key.min_type = a.key.max_type = BTRFS_CHUNK_ITEM_KEY;
	a.key.max_offset = logical;
	a.key.max_transid = UINT64_MAX;
	for (;;) {
		a.key.nr_items = 4096;
		if (ioctl(fd, BTRFS_IOC_TREE_SEARCH, &a) < 0) {
			snprintf(g_err, sizeof g_err, "BTRFS_IOC_TREE_SEARCH: %s", strerror(errno));
			return false;
		}
		if (a.key.nr_items == 0)
			break;
		size_t pos = 0;
		bool found = false;
		const struct btrfs_ioctl_search_header *sh = NULL;
		for (unsigned i = 0; i < a.key.nr_items; i++) {
			sh = (const void *)(a.buf + pos);
			const struct btrfs_chunk *c = (const void *)(a.buf + pos + sizeof *sh);
			if (sh->type == BTRFS_CHUNK_ITEM_KEY && !chunk_maps(sh, c, logical, phys, &found))
				return false;
			if (found)
				return true;
			pos += sizeof *sh + sh->len;
		}
		if (sh->offset == UINT64_MAX || sh->offset >= logical)
			break;
		a.key.min_offset = sh->offset + 1;
	}
	snprintf(g_err, sizeof g_err, "no btrfs chunk holds logical address %llu", (unsigned long long)logical);
	return false;
}

/* CRC-32C (Castagnoli), the checksum btrfs computes by default (crc32c: initial ~0, final complement) */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = ~0u;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
	}
	return ~c;
}

/* the checksum of the data sector at logical sector, from the live checksum tree; *found false if none */
static bool btrfs_csum_lookup(int fd, uint64_t sector, uint32_t sectorsize, uint32_t *csum, bool *found)
{
	struct btrfs_ioctl_search_args a;
	memset(&a, 0, sizeof a);
	a.key.tree_id = BTRFS_CSUM_TREE_OBJECTID;
	a.key.min_objectid = a.key.max_objectid = BTRFS_EXTENT_CSUM_OBJECTID;
	a.key.min_type = a.key.max_type = BTRFS_EXTENT_CSUM_KEY;
	a.key.max_offset = sector;
	a.key.max_transid = UINT64_MAX;
	*found = false;
	for (;;) {
		a.key.nr_items = 4096;
		if (ioctl(fd, BTRFS_IOC_TREE_SEARCH, &a) < 0) {
			snprintf(g_err, sizeof g_err, "BTRFS_IOC_TREE_SEARCH (checksums): %s", strerror(errno));
			return false;
		}
		if (a.key.nr_items == 0)
			return true;
		size_t pos = 0;
		const struct btrfs_ioctl_search_header *sh = NULL;
		for (unsigned i = 0; i < a.key.nr_items; i++) {
			sh = (const void *)(a.buf + pos);
			const uint8_t *item = (const uint8_t *)(a.buf + pos + sizeof *sh);
			uint64_t covered = (uint64_t)(sh->len / 4) * sectorsize;
			if (sh->type == BTRFS_EXTENT_CSUM_KEY && sector >= sh->offset && sector < sh->offset + covered) {
				uint32_t le;
				memcpy(&le, item + (sector - sh->offset) / sectorsize * 4, 4);
				*csum = le32toh(le);
				*found = true;
			}
			pos += sizeof *sh + sh->len;
		}
		if (sh->offset >= sector)
			return true;
		a.key.min_offset = sh->offset + 1;
	}
}

/*
 * Whether the btrfs data sector holding logical (device offset phys) matches its checksum: "match",
 * "mismatch", or "none" (no checksum item: nodatasum).  Only crc32c file systems are supported.
 */
static bool btrfs_csum_state(const struct pfile *f, uint64_t logical, uint64_t phys, const char **state)
{
	struct btrfs_ioctl_fs_info_args fi;
	memset(&fi, 0, sizeof fi);
	fi.flags = BTRFS_FS_INFO_FLAG_CSUM_INFO;
	if (ioctl(f->fd, BTRFS_IOC_FS_INFO, &fi) < 0) {
		snprintf(g_err, sizeof g_err, "BTRFS_IOC_FS_INFO: %s", strerror(errno));
		return false;
	}
	if (!(fi.flags & BTRFS_FS_INFO_FLAG_CSUM_INFO) || fi.csum_type != BTRFS_CSUM_TYPE_CRC32 || fi.csum_size != 4) {
		snprintf(g_err, sizeof g_err, "btrfs checksum type %u is not crc32c", fi.csum_type);
		return false;
	}
	uint64_t in_sector = logical % fi.sectorsize;
	uint32_t want;
	bool found;
	if (!btrfs_csum_lookup(f->fd, logical - in_sector, fi.sectorsize, &want, &found))
		return false;
	if (!found) {
		*state = "none";
		return true;
	}
	uint8_t *buf = malloc(fi.sectorsize);
	if (!buf) {
		snprintf(g_err, sizeof g_err, "out of memory");
		return false;
	}
	ssize_t n = pread(f->fs->img_fd, buf, fi.sectorsize, (off_t)(phys - in_sector));
	bool ok = n == (ssize_t)fi.sectorsize;
	if (ok)
		*state = crc32c(buf, fi.sectorsize) == want ? "match" : "mismatch";
	else
		snprintf(g_err, sizeof g_err, "pread of the image of %s: %s", f->fs->name,
			 n < 0 ? strerror(errno) : "short read");
	free(buf);
	return ok;
}

/*
 * where the cell of a btrfs file is: FIEMAP reports file extent items, which btrfs inserts when a write's ordered
 * extent completes, in a worker, after the pages' writeback has ended.  FIEMAP_FLAG_SYNC waits for ordered
 * extents (btrfs_wait_ordered_range()) after writing back the file, so it is used when the file has no dirty page
 * and writes nothing; a dirty page has no ordered extent pending (btrfs_page_mkwrite() and buffered writes wait
 * for it before they dirty a page).
 */
static bool btrfs_extent(const struct pfile *f, long cell, struct extent_at *x, uint64_t *logical)
{
	int busy = range_dirty_or_writeback(f, 0, 0);
	if (busy < 0) {
		snprintf(g_err, sizeof g_err, "cachestat: %s", strerror(-busy));
		return false;
	}
	if (!fiemap_at(f->fd, cell_off(cell), busy == 0, x))
		return false;
	*logical = x->phys;
	return strcmp(x->state, "written") || btrfs_physical(f->fd, x->phys, &x->phys);
}

static bool cmd_disk_read(char **tok, int nt)
{
	long fid, cell;
	if (nt != 3 || !parse_fid(tok[1], &fid) || !parse_cell(tok[2], &cell)) {
		reply_err("bad command: disk_read FID CELL");
		return true;
	}
	const struct pfile *f = file_get(fid);
	if (!f) {
		reply_err("disk_read: file %ld does not exist", fid);
		return true;
	}
	if (!f->fs || f->fs->img_fd < 0) {
		reply_err("disk_read: file %ld has no disk (%s)", fid, f->fs ? fs_kind_name(f->fs->kind) : "memfd");
		return true;
	}
	struct extent_at x = {NULL, 0};
	uint64_t logical = 0;
	bool btrfs = f->fs->kind == FS_BTRFS;
	if (!(btrfs ? btrfs_extent(f, cell, &x, &logical) : fiemap_at(f->fd, cell_off(cell), false, &x))) {
		reply_err("disk_read: %s", g_err);
		return true;
	}
	bool written = !strcmp(x.state, "written");
	const char *csum = "none";
	if (written && btrfs && !btrfs_csum_state(f, logical, x.phys, &csum)) {
		reply_err("disk_read: %s", g_err);
		return true;
	}
	int value = 0;
	if (written) {
		uint8_t b;
		ssize_t n = pread(f->fs->img_fd, &b, 1, (off_t)x.phys);
		if (n != 1) {
			reply_err("disk_read: pread %s at %llu: %s", f->fs->img, (unsigned long long)x.phys,
				  n < 0 ? strerror(errno) : "beyond the image");
			return true;
		}
		value = b;
	}
	char out[256];
	snprintf(out, sizeof out, "{\"ok\":true,\"value\":%d,\"hole\":%s,\"extent\":\"%s\",\"physical\":%lld,"
		 "\"csum\":\"%s\"}", value, written ? "false" : "true", x.state, written ? (long long)x.phys : -1LL, csum);
	reply(out);
	return true;
}

const struct agent_cmd disk_agent_cmds[] = {
	{"disk_read", cmd_disk_read},
	{NULL, NULL},
};
