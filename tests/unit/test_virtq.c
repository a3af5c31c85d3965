/* test_virtq: the guest-memory translator and the split virtqueue walker,
 * including hostile descriptor chains (loops, indices out of range, buffers
 * outside RAM, bad indirect tables, readable after writable). */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kvm/mem.h"
#include "kvm/virtio/queue.h"

#define GPA 0x10000ull
#define RAMSZ 0x10000ull
#define QSZ 8
#define DESC (GPA + 0x0)
#define AVAIL (GPA + 0x1000)
#define USED (GPA + 0x2000)
#define IND (GPA + 0x3000)
#define BUF (GPA + 0x8000)

static uint8_t ram[RAMSZ] __attribute__((aligned(16)));
static struct guest_mem mem;
static struct virtq vq;
static struct virtq_chain ch;

static void put_desc(uint64_t table, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = ram + (table - GPA) + 16 * i;

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static uint16_t *avail16(unsigned int i)
{
	return (uint16_t *)(ram + (AVAIL - GPA) + 2 * i);
}

static void offer(uint16_t head)
{
	uint16_t idx = *avail16(1);

	*avail16(2 + idx % QSZ) = head;
	*avail16(1) = idx + 1;
}

static int setup(void **state)
{
	(void)state;
	memset(ram, 0, sizeof(ram));
	memset(&mem, 0, sizeof(mem));
	assert_int_equal(guest_mem_add(&mem, GPA, RAMSZ, ram), 0);
	assert_int_equal(virtq_setup(&vq, &mem, QSZ, DESC, AVAIL, USED, true), 0);
	return 0;
}

static void test_translator(void **state)
{
	static uint8_t hi[4096];

	(void)state;
	assert_ptr_equal(guest_mem_ptr(&mem, GPA, RAMSZ), ram);
	assert_ptr_equal(guest_mem_ptr(&mem, GPA + RAMSZ, 0), ram + RAMSZ);
	assert_null(guest_mem_ptr(&mem, GPA + RAMSZ - 1, 2));
	assert_null(guest_mem_ptr(&mem, GPA - 1, 1));
	assert_null(guest_mem_ptr(&mem, GPA + 8, UINT64_MAX));
	assert_null(guest_mem_ptr(&mem, UINT64_MAX, 2));
	/* overlapping and wrapping slots are refused */
	assert_int_equal(guest_mem_add(&mem, GPA + RAMSZ - 1, 16, hi), -EINVAL);
	assert_int_equal(guest_mem_add(&mem, UINT64_MAX - 10, 4096, hi), -EINVAL);
	/* adjacent slots: a range may not span both */
	assert_int_equal(guest_mem_add(&mem, GPA + RAMSZ, sizeof(hi), hi), 0);
	assert_ptr_equal(guest_mem_ptr(&mem, GPA + RAMSZ, 4), hi);
	assert_null(guest_mem_ptr(&mem, GPA + RAMSZ - 2, 4));
}

static void test_setup_checks(void **state)
{
	(void)state;
	assert_int_equal(virtq_setup(&vq, &mem, 3, DESC, AVAIL, USED, 0), -EINVAL);
	assert_int_equal(virtq_setup(&vq, &mem, 2048, DESC, AVAIL, USED, 0), -EINVAL);
	assert_int_equal(virtq_setup(&vq, &mem, QSZ, DESC + 8, AVAIL, USED, 0), -EINVAL);
	assert_int_equal(virtq_setup(&vq, &mem, QSZ, DESC, AVAIL, GPA + RAMSZ - 8, 0), -EINVAL);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EPROTO);
}

static void test_simple_chain(void **state)
{
	uint32_t id, len;

	(void)state;
	assert_int_equal(virtq_pop(&vq, &mem, &ch), 0);
	put_desc(DESC, 3, BUF, 16, VIRTQ_DESC_F_NEXT, 5);
	put_desc(DESC, 5, BUF + 0x100, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	put_desc(DESC, 1, BUF + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(3);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), 1);
	assert_int_equal(ch.head, 3);
	assert_int_equal(ch.nseg, 3);
	assert_int_equal(ch.nread, 1);
	assert_int_equal(ch.read_len, 16);
	assert_int_equal(ch.write_len, 513);
	assert_ptr_equal(ch.seg[0].ptr, ram + 0x8000);
	assert_true(ch.seg[2].write);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), 0);
	/* avail_event published for the driver */
	assert_int_equal(*(uint16_t *)(ram + (USED - GPA) + 4 + 8 * QSZ), 1);
	assert_int_equal(virtq_push(&vq, &mem, 3, 513), 0);
	memcpy(&id, ram + (USED - GPA) + 4, 4);
	memcpy(&len, ram + (USED - GPA) + 8, 4);
	assert_int_equal(id, 3);
	assert_int_equal(len, 513);
	assert_int_equal(*(uint16_t *)(ram + (USED - GPA) + 2), 1);
	assert_int_equal(virtq_push(&vq, &mem, QSZ, 0), -EINVAL);
}

static void test_hostile_chains(void **state)
{
	(void)state;
	/* loop 0 -> 1 -> 0 */
	put_desc(DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	put_desc(DESC, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EBADMSG);
	assert_int_equal(ch.head, 0);
	/* next out of the table */
	put_desc(DESC, 2, BUF, 8, VIRTQ_DESC_F_NEXT, QSZ);
	offer(2);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EBADMSG);
	/* buffer runs past RAM; buffer far outside; len wraps */
	put_desc(DESC, 3, GPA + RAMSZ - 4, 8, 0, 0);
	offer(3);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EBADMSG);
	put_desc(DESC, 3, 0xfffffffffffff000ull, 0xffffffffu, 0, 0);
	offer(3);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EBADMSG);
	/* readable after writable (§2.7.4.2) */
	put_desc(DESC, 4, BUF, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 5);
	put_desc(DESC, 5, BUF, 8, 0, 0);
	offer(4);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EBADMSG);
	/* the queue still works after dropped chains */
	put_desc(DESC, 6, BUF, 8, 0, 0);
	offer(6);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), 1);
	assert_int_equal(ch.head, 6);
	/* head index out of range breaks the ring */
	offer(QSZ + 1);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EPROTO);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EPROTO);
}

static void test_avail_jump(void **state)
{
	(void)state;
	*avail16(1) = QSZ + 1;	/* more entries than the ring holds */
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EPROTO);
}

static void test_indirect(void **state)
{
	(void)state;
	put_desc(IND, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 2);
	put_desc(IND, 2, BUF + 64, 32, VIRTQ_DESC_F_WRITE, 0);
	put_desc(DESC, 0, IND, 16 * 4, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), 1);
	assert_int_equal(ch.nseg, 2);
	assert_int_equal(ch.write_len, 32);
	/* indirect table with a loop */
	put_desc(IND, 2, BUF + 64, 32, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EBADMSG);
	/* next beyond the indirect table's own length */
	put_desc(IND, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 4);
	offer(0);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EBADMSG);
	/* nested indirect */
	put_desc(IND, 0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EBADMSG);
	/* INDIRECT with NEXT, partial entry, table outside RAM */
	put_desc(IND, 0, BUF, 16, 0, 0);
	put_desc(DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	offer(0);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EBADMSG);
	put_desc(DESC, 0, IND, 24, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EBADMSG);
	put_desc(DESC, 0, GPA + RAMSZ - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EBADMSG);
	/* a direct descriptor before an indirect one */
	put_desc(DESC, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	put_desc(DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(1);
	assert_int_equal(virtq_pop(&vq, &mem, &ch), -EBADMSG);
}

static void test_event_idx(void **state)
{
	uint16_t *used_event = avail16(2 + QSZ);

	(void)state;
	put_desc(DESC, 0, BUF, 8, 0, 0);
	/* the first completion always notifies */
	assert_int_equal(virtq_push(&vq, &mem, 0, 0), 0);
	assert_true(virtq_should_notify(&vq, &mem));
	/* driver asks to be told when used idx passes 2 */
	*used_event = 2;
	assert_int_equal(virtq_push(&vq, &mem, 0, 0), 0);	/* idx 2 */
	assert_false(virtq_should_notify(&vq, &mem));
	assert_int_equal(virtq_push(&vq, &mem, 0, 0), 0);	/* idx 3 */
	assert_true(virtq_should_notify(&vq, &mem));
	assert_int_equal(virtq_push(&vq, &mem, 0, 0), 0);	/* idx 4 */
	assert_false(virtq_should_notify(&vq, &mem));
}

static void test_no_interrupt_flag(void **state)
{
	(void)state;
	assert_int_equal(virtq_setup(&vq, &mem, QSZ, DESC, AVAIL, USED, false), 0);
	assert_int_equal(virtq_push(&vq, &mem, 0, 0), 0);
	assert_true(virtq_should_notify(&vq, &mem));
	*avail16(0) = 1;
	assert_int_equal(virtq_push(&vq, &mem, 0, 0), 0);
	assert_false(virtq_should_notify(&vq, &mem));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_translator, setup),
		cmocka_unit_test_setup(test_setup_checks, setup),
		cmocka_unit_test_setup(test_simple_chain, setup),
		cmocka_unit_test_setup(test_hostile_chains, setup),
		cmocka_unit_test_setup(test_avail_jump, setup),
		cmocka_unit_test_setup(test_indirect, setup),
		cmocka_unit_test_setup(test_event_idx, setup),
		cmocka_unit_test_setup(test_no_interrupt_flag, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
