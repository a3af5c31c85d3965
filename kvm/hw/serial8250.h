/*
 * kvm/hw/serial8250.h - 16550A UART register model (the console at 0x3F8,
 * IRQ 4). Pure: no fds, no KVM; the caller supplies tx and irq callbacks
 * and feeds received bytes with serial8250_rx().
 */
#ifndef PROVD_KVM_HW_SERIAL8250_H
#define PROVD_KVM_HW_SERIAL8250_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL8250_FIFO 16

struct serial8250 {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre_pending;	/* THR-empty interrupt not yet acknowledged */
	uint8_t rx[SERIAL8250_FIFO];
	unsigned int rx_head, rx_count;
	void (*tx)(void *opaque, uint8_t c);
	void (*set_irq)(void *opaque, int level);
	void *opaque;
};

void serial8250_init(struct serial8250 *s, void (*tx)(void *, uint8_t),
		     void (*set_irq)(void *, int), void *opaque);

/* One guest access to register off (0..7): a write of *val, or a read
 * into *val. Offsets outside 0..7 read 0xff and ignore writes. */
void serial8250_io(struct serial8250 *s, unsigned int off, bool write,
		   uint8_t *val);

/* Queues received bytes; returns how many fit in the FIFO. */
size_t serial8250_rx(struct serial8250 *s, const uint8_t *buf, size_t n);

#endif
