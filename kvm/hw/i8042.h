/*
 * kvm/hw/i8042.h - i8042 keyboard controller register model (ports 0x60
 * data, 0x64 status/command): enough for Linux's i8042 driver to probe, a
 * keyboard that acknowledges commands (scancodes later fed by SPICE), and
 * the CPU reset line (command 0xFE, or output-port bit 0 cleared) that the
 * kernel pulses on `reboot`. Pure: callbacks for reset and IRQ 1/12.
 */
#ifndef PROVD_KVM_HW_I8042_H
#define PROVD_KVM_HW_I8042_H

#include <stdbool.h>
#include <stdint.h>

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define I8042_QUEUE 16

struct i8042 {
	uint8_t cmdbyte;	/* controller configuration byte */
	uint8_t status_sys;	/* system flag after self-test */
	uint8_t pending;	/* command waiting for its data byte, or 0 */
	bool last_was_cmd;
	struct {
		uint8_t b;
		bool aux;
	} q[I8042_QUEUE];
	unsigned int q_head, q_count;
	void (*reset)(void *opaque);
	void (*set_irq)(void *opaque, int irq, int level);
	void *opaque;
};

void i8042_init(struct i8042 *k, void (*reset)(void *),
		void (*set_irq)(void *, int, int), void *opaque);

/* One guest access to port 0x60 or 0x64; other ports read 0xff. */
void i8042_io(struct i8042 *k, uint16_t port, bool write, uint8_t *val);

/* Queues a keyboard scancode byte (from a UI); false if the queue is full. */
bool i8042_key(struct i8042 *k, uint8_t scancode);

#endif
