/* test_hw: 16550A UART and i8042 register behaviour as the Linux 8250 and
 * i8042 drivers use them: transmit, divisor latch, THRE and RDA interrupts
 * with IIR acknowledgement, FIFO limits, loopback; controller self-test,
 * command byte, keyboard ACKs, and the reset line (0xFE, output port). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kvm/hw/i8042.h"
#include "kvm/hw/serial8250.h"

static uint8_t txbuf[64];
static unsigned int ntx, resets;
static int irq_level, irq1, irq12;

static void tx(void *o, uint8_t c)
{
	(void)o;
	if (ntx < sizeof(txbuf))
		txbuf[ntx++] = c;
}

static void uart_irq(void *o, int level)
{
	(void)o;
	irq_level = level;
}

static uint8_t rd(struct serial8250 *s, unsigned int off)
{
	uint8_t v = 0;

	serial8250_io(s, off, false, &v);
	return v;
}

static void wr(struct serial8250 *s, unsigned int off, uint8_t v)
{
	serial8250_io(s, off, true, &v);
}

static void test_uart(void **state)
{
	struct serial8250 s;
	uint8_t in[40];
	unsigned int i;

	(void)state;
	ntx = 0;
	serial8250_init(&s, tx, uart_irq, NULL);
	assert_int_equal(rd(&s, 5) & 0x60, 0x60);	/* THRE|TEMT */
	assert_int_equal(rd(&s, 2), 0x01);		/* no interrupt */
	wr(&s, 0, 'h');
	wr(&s, 0, 'i');
	assert_int_equal(ntx, 2);
	assert_memory_equal(txbuf, "hi", 2);
	/* divisor latch does not transmit */
	wr(&s, 3, 0x83);
	wr(&s, 0, 1);
	wr(&s, 1, 0);
	assert_int_equal(rd(&s, 0), 1);
	wr(&s, 3, 0x03);
	assert_int_equal(ntx, 2);
	/* enabling THRE interrupts raises one; reading IIR acks it */
	wr(&s, 1, 0x02);
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(&s, 2) & 0x0f, 0x02);
	assert_int_equal(irq_level, 0);
	assert_int_equal(rd(&s, 2) & 0x0f, 0x01);
	/* receive: RDA has priority, LSR DR, FIFO capped */
	wr(&s, 1, 0x03);
	memset(in, 'x', sizeof(in));
	assert_int_equal(serial8250_rx(&s, in, sizeof(in)), SERIAL8250_FIFO);
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(&s, 2) & 0x0f, 0x04);
	assert_true(rd(&s, 5) & 1);
	for (i = 0; i < SERIAL8250_FIFO; i++)
		assert_int_equal(rd(&s, 0), 'x');
	assert_false(rd(&s, 5) & 1);
	/* THRE was acknowledged and IER re-written with it already set:
	 * no new THRE interrupt until the next transmit */
	assert_int_equal(rd(&s, 2) & 0x0f, 0x01);
	assert_int_equal(irq_level, 0);
	wr(&s, 0, '!');
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(&s, 2) & 0x0f, 0x02);
	assert_int_equal(irq_level, 0);
	/* FIFO enable shows in IIR; clear-RX empties it */
	serial8250_rx(&s, in, 3);
	wr(&s, 2, 0x03);
	assert_int_equal(rd(&s, 2) & 0xc0, 0xc0);
	assert_false(rd(&s, 5) & 1);
	/* loopback: transmitted bytes come back, MSR mirrors MCR */
	wr(&s, 4, 0x10 | 0x0b);
	wr(&s, 0, 'L');
	assert_int_equal(ntx, 3);
	assert_int_equal(rd(&s, 0), 'L');
	assert_int_equal(rd(&s, 6) & 0xf0, 0xb0);
	wr(&s, 4, 0);
	/* scratch register, out-of-range offsets */
	wr(&s, 7, 0x5a);
	assert_int_equal(rd(&s, 7), 0x5a);
	assert_int_equal(rd(&s, 9), 0xff);
}

static void kbd_reset(void *o)
{
	(void)o;
	resets++;
}

static void kbd_irq(void *o, int irq, int level)
{
	(void)o;
	if (irq == 1)
		irq1 = level;
	else
		irq12 = level;
}

static uint8_t krd(struct i8042 *k, uint16_t port)
{
	uint8_t v = 0;

	i8042_io(k, port, false, &v);
	return v;
}

static void kwr(struct i8042 *k, uint16_t port, uint8_t v)
{
	i8042_io(k, port, true, &v);
}

static void test_i8042(void **state)
{
	struct i8042 k;
	unsigned int i;

	(void)state;
	resets = 0;
	i8042_init(&k, kbd_reset, kbd_irq, NULL);
	assert_int_equal(krd(&k, 0x64) & 0x01, 0);
	/* self-test */
	kwr(&k, 0x64, 0xaa);
	assert_int_equal(krd(&k, 0x64) & 0x0d, 0x0d);	/* OBF, SYS, CMD */
	assert_int_equal(krd(&k, 0x60), 0x55);
	assert_int_equal(krd(&k, 0x64) & 0x01, 0);
	/* command byte round trip; interrupts follow bit 0 */
	kwr(&k, 0x64, 0x60);
	kwr(&k, 0x60, 0x44);
	kwr(&k, 0x64, 0x20);
	assert_int_equal(irq1, 0);
	assert_int_equal(krd(&k, 0x60), 0x44);
	kwr(&k, 0x64, 0x60);
	kwr(&k, 0x60, 0x47);
	/* keyboard reset: ACK + BAT, interrupt while data waits */
	kwr(&k, 0x60, 0xff);
	assert_int_equal(irq1, 1);
	assert_int_equal(krd(&k, 0x60), 0xfa);
	assert_int_equal(krd(&k, 0x60), 0xaa);
	assert_int_equal(irq1, 0);
	/* aux loop-back byte sets AUXOBF and IRQ 12 */
	kwr(&k, 0x64, 0xd3);
	kwr(&k, 0x60, 0x5a);
	assert_int_equal(krd(&k, 0x64) & 0x21, 0x21);
	assert_int_equal(irq12, 1);
	assert_int_equal(krd(&k, 0x60), 0x5a);
	assert_int_equal(irq12, 0);
	/* queue is bounded */
	for (i = 0; i < 40; i++)
		i8042_key(&k, 0x1e);
	assert_false(i8042_key(&k, 0x1e));
	for (i = 0; i < I8042_QUEUE; i++)
		assert_int_equal(krd(&k, 0x60), 0x1e);
	assert_int_equal(krd(&k, 0x64) & 1, 0);
	/* reset paths: 0xFE, output port bit 0, pulse 0xF0; 0xFF is not */
	assert_int_equal(resets, 0);
	kwr(&k, 0x64, 0xfe);
	assert_int_equal(resets, 1);
	kwr(&k, 0x64, 0xd1);
	kwr(&k, 0x60, 0xfe);
	assert_int_equal(resets, 2);
	kwr(&k, 0x64, 0xd1);
	kwr(&k, 0x60, 0xff);
	assert_int_equal(resets, 2);
	kwr(&k, 0x64, 0xf0);
	assert_int_equal(resets, 3);
	kwr(&k, 0x64, 0xff);
	assert_int_equal(resets, 3);
	assert_int_equal(krd(&k, 0x61), 0xff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uart),
		cmocka_unit_test(test_i8042),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
