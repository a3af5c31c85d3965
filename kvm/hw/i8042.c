/*
 * kvm/hw/i8042.c - 8042 keyboard controller (IBM PC/AT Technical Reference;
 * the command set Linux's drivers/input/serio/i8042.c uses).
 */
#include "config.h"

#include <string.h>

#include "kvm/hw/i8042.h"

#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_CMD 0x08
#define ST_AUXOBF 0x20

#define CB_KBD_INT 0x01
#define CB_AUX_INT 0x02

static void update_irq(struct i8042 *k)
{
	bool kbd = false, aux = false;

	if (k->q_count) {
		if (k->q[k->q_head].aux)
			aux = k->cmdbyte & CB_AUX_INT;
		else
			kbd = k->cmdbyte & CB_KBD_INT;
	}
	if (k->set_irq) {
		k->set_irq(k->opaque, 1, kbd);
		k->set_irq(k->opaque, 12, aux);
	}
}

static bool push(struct i8042 *k, uint8_t b, bool aux)
{
	unsigned int t;

	if (k->q_count >= I8042_QUEUE)
		return false;
	t = (k->q_head + k->q_count) % I8042_QUEUE;
	k->q[t].b = b;
	k->q[t].aux = aux;
	k->q_count++;
	update_irq(k);
	return true;
}

void i8042_init(struct i8042 *k, void (*reset)(void *),
		void (*set_irq)(void *, int, int), void *opaque)
{
	memset(k, 0, sizeof(*k));
	k->cmdbyte = CB_KBD_INT | ST_SYS | 0x40;	/* translate set 2->1 */
	k->status_sys = ST_SYS;	/* no BIOS: as if POST passed */
	k->reset = reset;
	k->set_irq = set_irq;
	k->opaque = opaque;
}

bool i8042_key(struct i8042 *k, uint8_t scancode)
{
	return push(k, scancode, false);
}

static void pulse_reset(struct i8042 *k)
{
	if (k->reset)
		k->reset(k->opaque);
}

static void command(struct i8042 *k, uint8_t c)
{
	switch (c) {
	case 0x20:	/* read command byte */
		push(k, k->cmdbyte, false);
		break;
	case 0x60:	/* write command byte: data follows */
	case 0xd1:	/* write output port */
	case 0xd2:	/* write keyboard output buffer */
	case 0xd3:	/* write aux output buffer */
	case 0xd4:	/* write to aux device */
		k->pending = c;
		break;
	case 0xa7:	/* disable aux */
		k->cmdbyte |= 0x20;
		break;
	case 0xa8:	/* enable aux */
		k->cmdbyte &= ~0x20;
		break;
	case 0xa9:	/* aux interface test: no mouse wired */
		push(k, 0xff, false);
		break;
	case 0xaa:	/* controller self-test */
		k->status_sys = ST_SYS;
		push(k, 0x55, false);
		break;
	case 0xab:	/* keyboard interface test */
		push(k, 0x00, false);
		break;
	case 0xad:	/* disable keyboard */
		k->cmdbyte |= 0x10;
		break;
	case 0xae:	/* enable keyboard */
		k->cmdbyte &= ~0x10;
		break;
	case 0xfe:	/* pulse output line 0: CPU reset */
		pulse_reset(k);
		break;
	default:
		/* 0xf0-0xff pulse output lines; bit 0 clear = reset */
		if (c >= 0xf0 && !(c & 1))
			pulse_reset(k);
		break;
	}
}

static void keyboard_cmd(struct i8042 *k, uint8_t c)
{
	switch (c) {
	case 0xff:	/* reset: ACK, then BAT passed */
		push(k, 0xfa, false);
		push(k, 0xaa, false);
		break;
	case 0xf2:	/* identify: MF2 keyboard */
		push(k, 0xfa, false);
		push(k, 0xab, false);
		push(k, 0x83, false);
		break;
	case 0xee:	/* echo */
		push(k, 0xee, false);
		break;
	default:	/* LEDs, rates, scanset args, enable: ACK */
		push(k, 0xfa, false);
		break;
	}
}

static void data_write(struct i8042 *k, uint8_t v)
{
	uint8_t p = k->pending;

	k->pending = 0;
	switch (p) {
	case 0x60:
		k->cmdbyte = v;
		update_irq(k);
		break;
	case 0xd1:
		if (!(v & 1))	/* output port bit 0 is the reset line */
			pulse_reset(k);
		break;
	case 0xd2:
		push(k, v, false);
		break;
	case 0xd3:
		push(k, v, true);
		break;
	case 0xd4:
		break;	/* no mouse: bytes to it are dropped */
	default:
		keyboard_cmd(k, v);
	}
}

void i8042_io(struct i8042 *k, uint16_t port, bool write, uint8_t *val)
{
	if (port == I8042_DATA_PORT) {
		k->last_was_cmd = false;
		if (write) {
			data_write(k, *val);
			return;
		}
		if (!k->q_count) {
			*val = 0;
			return;
		}
		*val = k->q[k->q_head].b;
		k->q_head = (k->q_head + 1) % I8042_QUEUE;
		k->q_count--;
		update_irq(k);
		return;
	}
	if (port == I8042_CMD_PORT) {
		if (write) {
			k->last_was_cmd = true;
			command(k, *val);
			return;
		}
		*val = k->status_sys | (k->last_was_cmd ? ST_CMD : 0);
		if (k->q_count)
			*val |= ST_OBF | (k->q[k->q_head].aux ? ST_AUXOBF : 0);
		return;
	}
	if (!write)
		*val = 0xff;
}
