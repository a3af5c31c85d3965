/*
 * kvm/virtio/blk.c - virtio-blk (virtio 1.2 §5.2) on a raw, possibly sparse
 * image file.
 *
 * Requests run on the disk's own threads, never on a vCPU thread nor on
 * the VMM event thread (a slow fdatasync must not stall the console or the
 * other devices): a dispatcher takes chains off the ring (up to
 * BLK_INFLIGHT at once) and returns finished ones, BLK_WORKERS workers do
 * the preadv/pwritev straight between the image and the guest buffers the
 * virtqueue walker handed over. Several requests in flight is what lets
 * the host overlap them (a write into a sparse image waits on block
 * allocation; QEMU's thread pool does the same); completions may come back
 * out of order, as the spec allows. Every request is checked
 * before any I/O: header and status byte present, data a whole number of
 * sectors, sector + count inside the image without wrapping. A bad request
 * gets VIRTIO_BLK_S_IOERR (or UNSUPP), never a crash or an access outside
 * guest RAM or the image.
 *
 * Features: SEG_MAX, BLK_SIZE (512), FLUSH (writeback cache: writes reach
 * the page cache, FLUSH is fdatasync), RO for `--disk FILE,ro`, and for
 * writable images DISCARD and WRITE_ZEROES as hole punching (the image
 * stays sparse; reads of a hole give zeros). GET_ID returns a serial made
 * from the image's file name. The image is locked (flock) so two VMs
 * cannot write one image.
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "kvm/virtio/pci.h"
#include "kvm/vmm.h"
#include "provd/base/log.h"

#define SECTOR 512u
#define BLK_QUEUE_SIZE 256
#define BLK_SEG_MAX (VIRTQ_MAX_SEGS - 2)	/* header and status too */
#define BLK_DISCARD_SEG_MAX 32u
#define BLK_DISCARD_SECTORS_MAX (1u << 22)	/* 2 GiB per segment */
#define BLK_CFG_SIZE 60
#define BLK_ID_BYTES 20
#define PCI_CLASS_STORAGE_SCSI 0x0100
#define BLK_LOG_MAX 20		/* host I/O errors logged per disk */
#define BLK_WORKERS 4
#define BLK_INFLIGHT 16		/* chains taken off the ring at once */

/* One request on its way: free -> todo -> (a worker) -> done -> free. */
struct blk_req {
	struct virtq_chain chain;
	struct iovec iov[VIRTQ_MAX_SEGS];
	int64_t written;		/* handle()'s result */
	struct blk_req *next;
};

struct virtio_blk {
	struct virtio_pci *vp;
	int fd;
	bool ro;
	uint64_t capacity;		/* sectors */
	char path[256];			/* for log lines */
	unsigned int nlogged;
	char serial[BLK_ID_BYTES];	/* not NUL-terminated when full */
	uint8_t cfg[BLK_CFG_SIZE];
	pthread_t thread;		/* the dispatcher */
	bool thread_started;
	bool stop;			/* set before wake_fd is written */
	int wake_fd;
	int done_fd;			/* a worker finished a request */
	/* the pool; lock order: work lock, then mu */
	pthread_mutex_t mu;
	pthread_cond_t todo_cv;		/* todo not empty, or stopping */
	pthread_cond_t idle_cv;		/* running dropped to 0 */
	struct blk_req reqs[BLK_INFLIGHT];
	struct blk_req *free, *todo, **todo_tail, *done;
	unsigned int running;		/* in a worker's hands */
	bool workers_stop;
	pthread_t workers[BLK_WORKERS];
	unsigned int nworkers;
	/* for the debug line at exit: where a slow disk's time goes */
	uint64_t nreq, nrounds, bytes_in, bytes_out, busy_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- segment helpers ----------------------------------------------------- */

/* Copies len bytes from the chain's readable bytes at offset off. */
static bool readable_copy(const struct virtq_chain *c, uint64_t off, void *dst,
			  size_t len)
{
	uint8_t *d = dst;
	unsigned int i;

	for (i = 0; i < c->nread && len; i++) {
		uint32_t sl = c->seg[i].len;
		size_t n;

		if (off >= sl) {
			off -= sl;
			continue;
		}
		n = sl - off < len ? sl - off : len;
		memcpy(d, c->seg[i].ptr + off, n);
		d += n;
		len -= n;
		off = 0;
	}
	return len == 0;
}

/*
 * Builds iov for len bytes starting off bytes into the readable (write
 * false) or writable (write true) part of the chain. Returns the count.
 */
static int chain_iov(const struct virtq_chain *c, bool write, uint64_t off,
		     uint64_t len, struct iovec *iov)
{
	unsigned int i = write ? c->nread : 0;
	unsigned int end = write ? c->nseg : c->nread;
	int n = 0;

	for (; i < end && len; i++) {
		uint32_t sl = c->seg[i].len;
		uint64_t take;

		if (off >= sl) {
			off -= sl;
			continue;
		}
		take = sl - off < len ? sl - off : len;
		iov[n].iov_base = c->seg[i].ptr + off;
		iov[n].iov_len = (size_t)take;
		n++;
		len -= take;
		off = 0;
	}
	return n;
}

/* Full preadv/pwritev at pos, resuming after short transfers. */
static int rw_full(int fd, struct iovec *iov, int cnt, uint64_t pos,
		   bool write)
{
	while (cnt > 0) {
		ssize_t r = write ? pwritev(fd, iov, cnt, (off_t)pos)
				  : preadv(fd, iov, cnt, (off_t)pos);
		size_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;	/* the image shrank under us */
		n = (size_t)r;
		pos += n;
		while (cnt > 0 && n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

/* sector + n sectors inside the image, without any sum wrapping */
static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t n)
{
	return sector <= b->capacity && n <= b->capacity - sector;
}

/* --- requests (§5.2.6) ----------------------------------------------------- */

/* a host error, logged for the first BLK_LOG_MAX of a disk */
static bool log_budget(struct virtio_blk *b)
{
	return __atomic_fetch_add(&b->nlogged, 1, __ATOMIC_RELAXED) < BLK_LOG_MAX;
}

static uint8_t do_rw(struct virtio_blk *b, const struct virtq_chain *c,
		     struct iovec *iov, uint64_t sector, bool out,
		     uint32_t *written)
{
	/* IN: writable bytes but the status byte; OUT: readable after the
	 * 16-byte header */
	uint64_t len = out ? c->read_len - sizeof(struct virtio_blk_outhdr)
			   : c->write_len - 1;
	int n, r;

	if (len % SECTOR || !in_range(b, sector, len / SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (out && b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	n = chain_iov(c, !out, out ? sizeof(struct virtio_blk_outhdr) : 0, len,
		      iov);
	r = rw_full(b->fd, iov, n, sector * SECTOR, out);
	if (r < 0) {
		if (log_budget(b))
			log_warn("vm: virtio-blk %s: %s at sector %llu: %s",
				 b->path, out ? "write" : "read",
				 (unsigned long long)sector, strerror(-r));
		return VIRTIO_BLK_S_IOERR;
	}
	if (!out)
		*written = (uint32_t)len;
	__atomic_fetch_add(out ? &b->bytes_out : &b->bytes_in, len,
			   __ATOMIC_RELAXED);
	return VIRTIO_BLK_S_OK;
}

static int zero_range(struct virtio_blk *b, uint64_t pos, uint64_t len)
{
	static const uint8_t zeros[65536];

	if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)pos, (off_t)len) == 0)
		return 0;
	if (errno != EOPNOTSUPP)
		return -errno;
	/* a file system without holes: write the zeros */
	while (len) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		ssize_t w = pwrite(b->fd, zeros, n, (off_t)pos);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		pos += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return 0;
}

static uint8_t do_discard(struct virtio_blk *b, const struct virtq_chain *c,
			  bool zeroes)
{
	uint64_t len = c->read_len - sizeof(struct virtio_blk_outhdr);
	struct virtio_blk_discard_write_zeroes d;
	uint64_t i, nseg = len / sizeof(d);
	uint32_t allowed = zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;

	if (b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (len % sizeof(d) || nseg == 0 || nseg > BLK_DISCARD_SEG_MAX)
		return VIRTIO_BLK_S_UNSUPP;
	for (i = 0; i < nseg; i++) {
		uint64_t sector;
		uint32_t num, flags;
		int r;

		readable_copy(c, sizeof(struct virtio_blk_outhdr) + i * sizeof(d),
			      &d, sizeof(d));
		sector = le64toh(d.sector);
		num = le32toh(d.num_sectors);
		flags = le32toh(d.flags);
		/* §5.2.6.2: unknown flags are UNSUPP */
		if (flags & ~allowed)
			return VIRTIO_BLK_S_UNSUPP;
		if (num > BLK_DISCARD_SECTORS_MAX || !in_range(b, sector, num))
			return VIRTIO_BLK_S_IOERR;
		if (num == 0)
			continue;
		r = zero_range(b, sector * SECTOR, (uint64_t)num * SECTOR);
		if (r < 0) {
			if (log_budget(b))
				log_warn("vm: virtio-blk %s: %s: %s", b->path,
					 zeroes ? "write zeroes" : "discard",
					 strerror(-r));
			return VIRTIO_BLK_S_IOERR;
		}
	}
	return VIRTIO_BLK_S_OK;
}

/*
 * One request. Returns the bytes written into the chain (data + status) or
 * -1 when there is no room for the status byte (then the chain is returned
 * with length 0 and the driver's request fails).
 */
static int64_t handle(struct virtio_blk *b, struct blk_req *req)
{
	const struct virtq_chain *c = &req->chain;
	struct virtio_blk_outhdr h;
	const struct virtq_seg *last;
	uint32_t written = 0, type;
	uint64_t sector;
	uint8_t st;

	unsigned int i;

	if (c->write_len < 1)
		return -1;
	/* the last writable byte: skip trailing zero-length descriptors */
	for (i = c->nseg; c->seg[i - 1].len == 0; i--)
		;
	last = &c->seg[i - 1];
	if (!readable_copy(c, 0, &h, sizeof(h))) {
		st = VIRTIO_BLK_S_IOERR;
		goto done;
	}
	type = le32toh(h.type);
	sector = le64toh(h.sector);
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		st = do_rw(b, c, req->iov, sector, type == VIRTIO_BLK_T_OUT,
			   &written);
		break;
	case VIRTIO_BLK_T_FLUSH:
		st = fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		uint64_t room = c->write_len - 1;
		size_t n = room < BLK_ID_BYTES ? (size_t)room : BLK_ID_BYTES;
		int cnt = chain_iov(c, true, 0, n, req->iov), k;
		size_t done = 0;

		for (k = 0; k < cnt; k++) {
			memcpy(req->iov[k].iov_base, b->serial + done,
			       req->iov[k].iov_len);
			done += req->iov[k].iov_len;
		}
		written = (uint32_t)n;
		st = VIRTIO_BLK_S_OK;
		break;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		st = do_discard(b, c, type == VIRTIO_BLK_T_WRITE_ZEROES);
		break;
	default:
		st = VIRTIO_BLK_S_UNSUPP;
		break;
	}
done:
	/* the status is the last byte the device writes (§5.2.6) */
	last->ptr[last->len - 1] = st;
	return (int64_t)written + 1;
}

/* --- the pool ------------------------------------------------------------ */

/* mu held: the slots of list back to the free list */
static void slots_free(struct virtio_blk *b, struct blk_req *list)
{
	struct blk_req *r, *next;

	for (r = list; r; r = next) {
		next = r->next;
		r->next = b->free;
		b->free = r;
	}
}

static void *blk_worker(void *arg)
{
	struct virtio_blk *b = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		struct blk_req *r;
		uint64_t t0;

		while (b->todo == NULL && !b->workers_stop)
			pthread_cond_wait(&b->todo_cv, &b->mu);
		if (b->todo == NULL)
			break;
		r = b->todo;
		b->todo = r->next;
		if (b->todo == NULL)
			b->todo_tail = &b->todo;
		b->running++;
		pthread_mutex_unlock(&b->mu);

		t0 = now_ns();
		r->written = handle(b, r);
		__atomic_fetch_add(&b->busy_ns, now_ns() - t0, __ATOMIC_RELAXED);

		pthread_mutex_lock(&b->mu);
		r->next = b->done;
		b->done = r;
		if (--b->running == 0)
			pthread_cond_broadcast(&b->idle_cv);
		if (write(b->done_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("vm: virtio-blk %s: wake: %s", b->path,
				 strerror(errno));
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/*
 * Work lock held: returns finished requests to the guest, then takes new
 * chains while a request slot is free. More chains than slots stay in the
 * ring; a finished request wakes us to take them.
 */
static void blk_process(struct virtio_blk *b, unsigned int q)
{
	const struct guest_mem *m = virtio_pci_mem(b->vp);
	struct virtq *vq = virtio_pci_queue(b->vp, q);
	struct blk_req *done, *r;
	bool pushed = false;
	int rc;

	pthread_mutex_lock(&b->mu);
	done = b->done;
	b->done = NULL;
	pthread_mutex_unlock(&b->mu);
	for (r = done; r; r = r->next) {
		b->nreq++;
		if (vq && virtq_push(vq, m, r->chain.head,
				     r->written < 0 ? 0 : (uint32_t)r->written) == 0)
			pushed = true;
	}
	pthread_mutex_lock(&b->mu);
	slots_free(b, done);
	pthread_mutex_unlock(&b->mu);
	if (vq == NULL)
		goto out;
	b->nrounds++;
	for (;;) {
		pthread_mutex_lock(&b->mu);
		r = b->free;
		if (r)
			b->free = r->next;
		pthread_mutex_unlock(&b->mu);
		if (r == NULL)
			break;
		rc = virtq_pop(vq, m, &r->chain);
		if (rc == 1) {
			pthread_mutex_lock(&b->mu);
			r->next = NULL;
			*b->todo_tail = r;
			b->todo_tail = &r->next;
			pthread_cond_signal(&b->todo_cv);
			pthread_mutex_unlock(&b->mu);
			continue;
		}
		pthread_mutex_lock(&b->mu);
		r->next = NULL;
		slots_free(b, r);
		pthread_mutex_unlock(&b->mu);
		if (rc == 0 || virtio_pci_pop_failed(b->vp, q, rc, &r->chain))
			break;
		pushed = true;		/* a dropped chain went back */
	}
out:
	/* EVENT_IDX decides whether the completions interrupt */
	if (pushed && vq)
		virtio_pci_queue_interrupt(b->vp, q);
}

static void *blk_thread(void *arg)
{
	struct virtio_blk *b = arg;
	int qfd = virtio_pci_queue_fd(b->vp, 0);
	uint64_t v;

	/* stop is looked at after a round: a kick written before the stop's
	 * wake-up is always handled */
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = b->wake_fd, .events = POLLIN },
			{ .fd = qfd, .events = POLLIN },
			{ .fd = b->done_fd, .events = POLLIN },
		};

		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("vm: virtio-blk %s: poll: %s", b->path,
				strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN)
			while (read(b->wake_fd, &v, sizeof(v)) > 0)
				;
		if (pfd[1].revents & POLLIN)
			while (read(qfd, &v, sizeof(v)) > 0)
				;
		if (pfd[2].revents & POLLIN)
			while (read(b->done_fd, &v, sizeof(v)) > 0)
				;
		if ((pfd[1].revents | pfd[2].revents) & POLLIN) {
			virtio_pci_work_lock(b->vp);
			blk_process(b, 0);
			virtio_pci_work_unlock(b->vp);
		}
		if (__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE))
			break;
	}
	return NULL;
}

/* Work lock held (so the dispatcher is not inside blk_process): requests
 * not started are dropped, those in a worker's hands are waited for, and
 * nothing finished is returned to the reset ring. */
static void blk_drain(struct virtio_blk *b)
{
	pthread_mutex_lock(&b->mu);
	slots_free(b, b->todo);
	b->todo = NULL;
	b->todo_tail = &b->todo;
	while (b->running)
		pthread_cond_wait(&b->idle_cv, &b->mu);
	slots_free(b, b->done);
	b->done = NULL;
	pthread_mutex_unlock(&b->mu);
}

static void blk_cfg_read(void *opaque, uint32_t off, uint8_t *data,
			 unsigned int len)
{
	struct virtio_blk *b = opaque;

	memcpy(data, b->cfg + off, len);
}

static void blk_reset(void *opaque)
{
	blk_drain(opaque);	/* no I/O into guest memory after a reset */
}

static const struct virtio_dev_ops blk_ops_rw = {
	.name = "blk",
	.type = VIRTIO_ID_BLOCK,
	.class_code = PCI_CLASS_STORAGE_SCSI,
	.nqueues = 1,
	.queue_size = BLK_QUEUE_SIZE,
	.cfg_size = BLK_CFG_SIZE,
	.features = (1ull << VIRTIO_BLK_F_SEG_MAX) |
		    (1ull << VIRTIO_BLK_F_BLK_SIZE) |
		    (1ull << VIRTIO_BLK_F_FLUSH) |
		    (1ull << VIRTIO_BLK_F_DISCARD) |
		    (1ull << VIRTIO_BLK_F_WRITE_ZEROES),
	.cfg_read = blk_cfg_read,
	.own_notify = true,	/* blk_thread */
	.reset = blk_reset,
};

static const struct virtio_dev_ops blk_ops_ro = {
	.name = "blk",
	.type = VIRTIO_ID_BLOCK,
	.class_code = PCI_CLASS_STORAGE_SCSI,
	.nqueues = 1,
	.queue_size = BLK_QUEUE_SIZE,
	.cfg_size = BLK_CFG_SIZE,
	.features = (1ull << VIRTIO_BLK_F_SEG_MAX) |
		    (1ull << VIRTIO_BLK_F_BLK_SIZE) |
		    (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_RO),
	.cfg_read = blk_cfg_read,
	.own_notify = true,	/* blk_thread */
	.reset = blk_reset,
};

static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static void fill_cfg(struct virtio_blk *b)
{
	uint8_t *c = b->cfg;

	/* struct virtio_blk_config (§5.2.4) */
	put64(c + 0, b->capacity);
	put32(c + 12, BLK_SEG_MAX);
	put32(c + 20, SECTOR);
	c[24] = 3;			/* physical block 4 KiB (2^3 sectors) */
	put16(c + 26, 8);		/* min_io_size in sectors */
	put16(c + 34, 1);		/* num_queues */
	if (!b->ro) {
		put32(c + 36, BLK_DISCARD_SECTORS_MAX);
		put32(c + 40, BLK_DISCARD_SEG_MAX);
		put32(c + 44, 8);	/* discard alignment: 4 KiB */
		put32(c + 48, BLK_DISCARD_SECTORS_MAX);
		put32(c + 52, BLK_DISCARD_SEG_MAX);
		c[56] = 1;		/* write_zeroes_may_unmap */
	}
}

static void make_serial(struct virtio_blk *b, const char *path,
			unsigned int index)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	if (*base == '\0')
		base = "disk";
	memset(b->serial, 0, sizeof(b->serial));
	/* vda, vdb, ... would change with the order; the name does not.
	 * Printable ASCII only: the guest shows it in /sys. */
	for (n = 0; n < BLK_ID_BYTES && base[n]; n++)
		b->serial[n] = (base[n] > ' ' && base[n] < 0x7f) ? base[n] : '_';
	(void)index;
}

struct virtio_blk *virtio_blk_add(struct vmm *vm,
				  const struct vm_disk_config *disk,
				  unsigned int index)
{
	struct virtio_blk *b;
	struct stat st;
	int e;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->fd = b->wake_fd = b->done_fd = -1;
	b->ro = disk->readonly;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->todo_cv, NULL);
	pthread_cond_init(&b->idle_cv, NULL);
	b->todo_tail = &b->todo;
	for (unsigned int i = 0; i < BLK_INFLIGHT; i++) {
		b->reqs[i].next = b->free;
		b->free = &b->reqs[i];
	}
	snprintf(b->path, sizeof(b->path), "%s", disk->path);
	b->fd = open(disk->path, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		e = errno;
		log_err("vm: disk %s: %s (check the path and its permissions%s)",
			disk->path, strerror(e), b->ro ? "" : ", or add ,ro");
		goto fail;
	}
	if (flock(b->fd, (b->ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		e = errno;
		log_err("vm: disk %s is in use by another VM or tool (%s); stop "
			"it or attach the image read-only with ,ro",
			disk->path, strerror(e));
		goto fail;
	}
	if (fstat(b->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		e = EINVAL;
		log_err("vm: disk %s: not a regular file (raw images only; "
			"convert others with qemu-img convert -O raw)", disk->path);
		goto fail;
	}
	if (st.st_size % SECTOR)
		log_warn("vm: disk %s: size is not a multiple of 512; the last "
			 "%lld bytes are not visible to the guest", disk->path,
			 (long long)(st.st_size % SECTOR));
	b->capacity = (uint64_t)st.st_size / SECTOR;
	make_serial(b, disk->path, index);
	fill_cfg(b);
	b->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	b->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->wake_fd < 0 || b->done_fd < 0) {
		e = errno;
		goto fail;
	}
	for (; b->nworkers < BLK_WORKERS; b->nworkers++) {
		e = pthread_create(&b->workers[b->nworkers], NULL, blk_worker, b);
		if (e) {
			log_err("vm: disk %s: cannot start its I/O threads: %s",
				disk->path, strerror(e));
			goto fail;
		}
	}
	b->vp = virtio_pci_new(vm, b->ro ? &blk_ops_ro : &blk_ops_rw, b);
	if (b->vp == NULL) {
		e = errno;
		goto fail;
	}
	e = pthread_create(&b->thread, NULL, blk_thread, b);
	if (e) {
		log_err("vm: disk %s: cannot start its dispatcher thread: %s",
			disk->path, strerror(e));
		goto fail;
	}
	b->thread_started = true;
	return b;
fail:
	virtio_blk_free(b);
	errno = e;
	return NULL;
}

void virtio_blk_free(struct virtio_blk *b)
{
	uint64_t one = 1;

	if (b == NULL)
		return;
	if (b->thread_started) {
		__atomic_store_n(&b->stop, true, __ATOMIC_RELEASE);
		if (write(b->wake_fd, &one, sizeof(one)) < 0)
			log_warn("vm: virtio-blk %s: wake: %s", b->path,
				 strerror(errno));
		pthread_join(b->thread, NULL);
	}
	/* the dispatcher is gone: workers finish what they hold, drop the
	 * rest (the reset in virtio_pci_free finds nothing in flight) */
	pthread_mutex_lock(&b->mu);
	b->workers_stop = true;
	b->todo = NULL;
	b->todo_tail = &b->todo;
	pthread_cond_broadcast(&b->todo_cv);
	pthread_mutex_unlock(&b->mu);
	for (unsigned int i = 0; i < b->nworkers; i++)
		pthread_join(b->workers[i], NULL);
	if (b->thread_started)
		log_debug("vm: virtio-blk %s: %llu requests in %llu rounds, "
			  "%llu KiB read, %llu KiB written, %llu ms of I/O "
			  "(summed over the workers)",
			  b->path, (unsigned long long)b->nreq,
			  (unsigned long long)b->nrounds,
			  (unsigned long long)(b->bytes_in >> 10),
			  (unsigned long long)(b->bytes_out >> 10),
			  (unsigned long long)(b->busy_ns / 1000000));
	virtio_pci_free(b->vp);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->todo_cv);
	pthread_cond_destroy(&b->idle_cv);
	if (b->done_fd >= 0)
		close(b->done_fd);
	if (b->wake_fd >= 0)
		close(b->wake_fd);
	if (b->fd >= 0)
		close(b->fd);
	free(b);
}
