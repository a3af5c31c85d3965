/*
 * kvm/hw/serial8250.c - 16550A UART (National Semiconductor PC16550D data
 * sheet register set). Transmit is instantaneous (THR is always empty), so
 * LSR always shows THRE|TEMT and the THRE interrupt fires after each write
 * and when it is enabled, which is what the Linux 8250 driver expects.
 */
#include "config.h"

#include <string.h>

#include "kvm/hw/serial8250.h"

#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define IER_RDA 0x01
#define IER_THRE 0x02
#define IIR_NONE 0x01
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_FIFO 0xc0
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_CTS_DSR_DCD 0xb0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02

static uint8_t iir(const struct serial8250 *s)
{
	uint8_t f = (s->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((s->ier & IER_RDA) && s->rx_count)
		return f | IIR_RDA;
	if ((s->ier & IER_THRE) && s->thre_pending)
		return f | IIR_THRE;
	return f | IIR_NONE;
}

static void update_irq(struct serial8250 *s)
{
	if (s->set_irq)
		s->set_irq(s->opaque, !(iir(s) & IIR_NONE));
}

void serial8250_init(struct serial8250 *s, void (*tx)(void *, uint8_t),
		     void (*set_irq)(void *, int), void *opaque)
{
	memset(s, 0, sizeof(*s));
	s->tx = tx;
	s->set_irq = set_irq;
	s->opaque = opaque;
	s->dll = 12;	/* 9600 baud at 1.8432 MHz */
}

size_t serial8250_rx(struct serial8250 *s, const uint8_t *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n && s->rx_count < SERIAL8250_FIFO; i++) {
		s->rx[(s->rx_head + s->rx_count) % SERIAL8250_FIFO] = buf[i];
		s->rx_count++;
	}
	if (i)
		update_irq(s);
	return i;
}

static void reg_write(struct serial8250 *s, unsigned int off, uint8_t v)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (off) {
	case 0:
		if (dlab) {
			s->dll = v;
			return;
		}
		if (s->mcr & MCR_LOOP)
			serial8250_rx(s, &v, 1);
		else if (s->tx)
			s->tx(s->opaque, v);
		s->thre_pending = true;
		break;
	case 1:
		if (dlab) {
			s->dlm = v;
			return;
		}
		/* enabling THRE interrupts with THR empty raises one */
		if ((v & IER_THRE) && !(s->ier & IER_THRE))
			s->thre_pending = true;
		s->ier = v & 0x0f;
		break;
	case 2:
		s->fcr = v & 0xc9;
		if (v & FCR_CLEAR_RX)
			s->rx_count = 0;
		break;
	case 3:
		s->lcr = v;
		return;
	case 4:
		s->mcr = v & 0x1f;
		return;
	case 7:
		s->scr = v;
		return;
	default:
		return;	/* LSR/MSR are read-only here */
	}
	update_irq(s);
}

static uint8_t reg_read(struct serial8250 *s, unsigned int off)
{
	bool dlab = s->lcr & LCR_DLAB;
	uint8_t v;

	switch (off) {
	case 0:
		if (dlab)
			return s->dll;
		if (!s->rx_count)
			return 0;
		v = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % SERIAL8250_FIFO;
		s->rx_count--;
		update_irq(s);
		return v;
	case 1:
		return dlab ? s->dlm : s->ier;
	case 2:
		v = iir(s);
		/* reading IIR while it reports THRE acknowledges it */
		if ((v & 0x0f) == IIR_THRE) {
			s->thre_pending = false;
			update_irq(s);
		}
		return v;
	case 3:
		return s->lcr;
	case 4:
		return s->mcr;
	case 5:
		return LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
	case 6:
		if (s->mcr & MCR_LOOP)	/* loopback: MCR bits to MSR */
			return (uint8_t)(((s->mcr & 0x0c) << 4) |
					 ((s->mcr & 0x01) << 5) |
					 ((s->mcr & 0x02) << 3));
		return MSR_CTS_DSR_DCD;
	case 7:
		return s->scr;
	}
	return 0xff;
}

void serial8250_io(struct serial8250 *s, unsigned int off, bool write,
		   uint8_t *val)
{
	if (off > 7) {
		if (!write)
			*val = 0xff;
		return;
	}
	if (write)
		reg_write(s, off, *val);
	else
		*val = reg_read(s, off);
}
