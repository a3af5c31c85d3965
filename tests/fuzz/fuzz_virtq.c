/* fuzz_virtq: split virtqueue walker against guest memory the input owns.
 * Input: 8 header bytes (queue size log2, ring offsets in 16-byte units,
 * flags) then the guest RAM image (one slot of exactly its size, so ASan
 * sees any access outside it). Every chain popped must lie inside RAM;
 * malformed ones are dropped; nothing may crash or hang. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/virtio/queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_GPA 0x100000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem m = { 0 };
	struct virtq vq;
	struct virtq_chain *c;
	uint8_t *ram;
	size_t ramsz;
	uint16_t qsize;
	unsigned int i, j;
	int r;

	if (size < 9 || size > (1u << 20))
		return 0;
	ramsz = size - 8;
	ram = malloc(ramsz);
	c = malloc(sizeof(*c));
	if (ram == NULL || c == NULL)
		goto out;
	memcpy(ram, data + 8, ramsz);
	if (guest_mem_add(&m, RAM_GPA, ramsz, ram) < 0)
		goto out;
	qsize = 1u << (data[0] % 11);
	if (virtq_setup(&vq, &m, qsize, RAM_GPA + 16ull * data[1],
			RAM_GPA + 16ull * data[2] + (data[5] & 1) * 2,
			RAM_GPA + 16ull * data[3], data[4] & 1) < 0)
		goto out;
	for (i = 0; i < 2u * qsize + 2; i++) {
		r = virtq_pop(&vq, &m, c);
		if (r == 0 || r == -EPROTO)
			break;
		if (r == 1) {
			volatile uint8_t sink = 0;

			/* touch every byte the device would use */
			for (j = 0; j < c->nseg; j++)
				if (c->seg[j].len) {
					sink ^= c->seg[j].ptr[0];
					sink ^= c->seg[j].ptr[c->seg[j].len - 1];
				}
			(void)sink;
		}
		virtq_push(&vq, &m, c->head, r == 1 ? (uint32_t)c->write_len : 0);
		virtq_should_notify(&vq, &m);
	}
out:
	free(c);
	free(ram);
	return 0;
}
