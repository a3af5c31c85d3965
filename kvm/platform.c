/*
 * kvm/platform.c - the PC platform devices wired to the bus: 16550A UART
 * at 0x3f8 (IRQ 4; console to stdio or a file, input from stdin), i8042 at
 * 0x60/0x64 (0xfe pulses reset: the guest rebooted), CMOS RTC at 0x70/0x71,
 * the ACPI PM1 and reset registers (kvm/acpi.h), the host bridge at 00:00.0
 * and, with --pci-conf1 only, PCI conf1 at 0xcf8-0xcff (else config space
 * is ECAM, kvm/ecam.c).
 *
 * The register models are pure (kvm/hw/); this file gives them locks, fds
 * and interrupt lines. vCPU threads call in through the bus; stdin is read
 * on the event thread. One mutex covers the legacy devices: they are only
 * touched during boot and by the console, never on a hot path.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "kvm/acpi.h"
#include "kvm/hw/i8042.h"
#include "kvm/hw/rtc.h"
#include "kvm/hw/serial8250.h"
#include "kvm/vm.h"
#include "provd/base/log.h"
#include "provd/base/loop.h"

#define COM1_PORT 0x3f8
#define COM1_IRQ 4
#define OUT_BUF 4096
#define IN_BUF 256
#define FLUSH_MS 100

struct platform {
	struct vmm *vm;
	pthread_mutex_t lock;
	struct serial8250 uart;
	int uart_irq;		/* last level given to KVM */
	struct i8042 kbd;
	struct rtc rtc;
	uint16_t pm1_sts, pm1_en, pm1_cnt;

	int out_fd;		/* console output */
	bool out_owned, out_tty;
	char out[OUT_BUF];
	size_t out_len;
	struct loop_src *flush_timer;

	struct loop_src *in_src;	/* stdin, when it can be polled */
	uint8_t in[IN_BUF];
	size_t in_off, in_len;		/* bytes read, not yet in the FIFO */
	bool in_paused;
};

static void out_flush_locked(struct platform *p)
{
	size_t done = 0;

	while (done < p->out_len) {
		ssize_t n = write(p->out_fd, p->out + done, p->out_len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* console gone: output is dropped */
		done += (size_t)n;
	}
	p->out_len = 0;
}

void platform_console_flush(struct platform *p)
{
	pthread_mutex_lock(&p->lock);
	out_flush_locked(p);
	pthread_mutex_unlock(&p->lock);
}

static void on_flush(struct loop *l, void *arg)
{
	(void)l;
	platform_console_flush(arg);
}

/* UART transmit (lock held): whole lines to files and pipes, every byte
 * to a terminal; a periodic flush catches prompts without a newline. */
static void uart_tx(void *opaque, uint8_t c)
{
	struct platform *p = opaque;

	p->out[p->out_len++] = (char)c;
	if (p->out_tty || c == '\n' || p->out_len == OUT_BUF)
		out_flush_locked(p);
}

static void uart_irq(void *opaque, int level)
{
	struct platform *p = opaque;

	if (level == p->uart_irq)
		return;
	p->uart_irq = level;
	vmm_irq_line(p->vm, COM1_IRQ, level);
}

/* lock held: move buffered stdin bytes into the UART FIFO */
static void in_feed_locked(struct platform *p)
{
	size_t n;

	if (p->in_len == p->in_off)
		return;
	n = serial8250_rx(&p->uart, p->in + p->in_off, p->in_len - p->in_off);
	p->in_off += n;
}

static void in_resume(void *arg)
{
	struct platform *p = arg;

	if (p->in_src && p->in_paused) {
		p->in_paused = false;
		loop_fd_modify(p->in_src, EPOLLIN);
	}
}

static void uart_io(void *opaque, uint64_t off, bool write, uint8_t *data,
		    unsigned int len)
{
	struct platform *p = opaque;

	(void)len;
	pthread_mutex_lock(&p->lock);
	serial8250_io(&p->uart, (unsigned int)off, write, data);
	/* the guest read a byte: refill from stdin, resume reading when
	 * everything buffered went in */
	if (!write && off == 0 && p->in_len) {
		in_feed_locked(p);
		if (p->in_off == p->in_len) {
			p->in_off = p->in_len = 0;
			if (p->in_paused)
				vmm_defer(p->vm, in_resume, p);
		}
	}
	pthread_mutex_unlock(&p->lock);
}

static void on_stdin(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct platform *p = arg;
	ssize_t n;

	(void)l;
	(void)events;
	pthread_mutex_lock(&p->lock);
	if (p->in_len) {	/* guest has not taken the last batch yet */
		p->in_paused = true;
		loop_fd_modify(p->in_src, 0);
		goto out;
	}
	n = read(fd, p->in, sizeof(p->in));
	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			goto out;
		loop_src_del(p->in_src);	/* EOF: no more input */
		p->in_src = NULL;
		goto out;
	}
	p->in_off = 0;
	p->in_len = (size_t)n;
	in_feed_locked(p);
	if (p->in_off == p->in_len)
		p->in_off = p->in_len = 0;
out:
	pthread_mutex_unlock(&p->lock);
}

static void kbd_reset(void *opaque)
{
	struct platform *p = opaque;

	log_debug("vm: i8042 reset pulse");
	vmm_request_exit(p->vm, VM_EXIT_REBOOT);
}

static void kbd_irq(void *opaque, int irq, int level)
{
	struct platform *p = opaque;

	vmm_irq_line(p->vm, (unsigned int)irq, level);
}

static void kbd_io(void *opaque, uint64_t off, bool write, uint8_t *data,
		   unsigned int len)
{
	struct platform *p = opaque;

	(void)len;
	pthread_mutex_lock(&p->lock);
	i8042_io(&p->kbd, (uint16_t)(I8042_DATA_PORT + off), write, data);
	pthread_mutex_unlock(&p->lock);
}

static void rtc_port_io(void *opaque, uint64_t off, bool write, uint8_t *data,
			unsigned int len)
{
	struct platform *p = opaque;

	(void)len;
	pthread_mutex_lock(&p->lock);
	rtc_io(&p->rtc, (uint16_t)(RTC_INDEX_PORT + off), write, data,
	       time(NULL));
	pthread_mutex_unlock(&p->lock);
}

/* ACPI fixed hardware (ACPI 6.4 §4.8.3): PM1 status (write 1 to clear),
 * enable, control with SCI_EN always set; SLP_EN with \_S5's type is a
 * poweroff, the reset value at the FADT reset register a reboot. */
static void pm_io(void *opaque, uint64_t off, bool write, uint8_t *data,
		  unsigned int len)
{
	struct platform *p = opaque;
	enum vm_exit ask = VM_EXIT_SETUP;	/* = none */

	pthread_mutex_lock(&p->lock);
	for (unsigned int i = 0; i < len; i++) {
		unsigned int a = (unsigned int)off + i, sh = 8 * (a & 1);
		uint16_t *reg = NULL;

		if (a < 2)
			reg = &p->pm1_sts;
		else if (a < 4)
			reg = &p->pm1_en;
		else if (a < 6)
			reg = &p->pm1_cnt;
		if (!write) {
			if (reg == &p->pm1_cnt)
				data[i] = (uint8_t)((*reg | ACPI_PM1_SCI_EN) >> sh);
			else if (reg)
				data[i] = (uint8_t)(*reg >> sh);
			else
				data[i] = 0;
			continue;
		}
		if (reg == &p->pm1_sts)
			*reg &= (uint16_t)~(data[i] << sh);
		else if (reg)
			*reg = (uint16_t)((*reg & ~(0xff << sh)) | data[i] << sh);
		else if (a == ACPI_RESET_PORT - ACPI_PM_BASE &&
			 data[i] == ACPI_RESET_VALUE)
			ask = VM_EXIT_REBOOT;
	}
	if (write && (p->pm1_cnt & ACPI_PM1_SLP_EN)) {
		unsigned int typ = (p->pm1_cnt & ACPI_PM1_SLP_TYP_MASK) >>
				   ACPI_PM1_SLP_TYP_SHIFT;

		p->pm1_cnt &= (uint16_t)~ACPI_PM1_SLP_EN;
		if (typ == ACPI_S5_TYP)
			ask = VM_EXIT_POWEROFF;
		else
			log_debug("vm: guest asked for sleep type %u; ignored",
				  typ);
	}
	pthread_mutex_unlock(&p->lock);
	if (ask != VM_EXIT_SETUP)
		vmm_request_exit(p->vm, ask);
}

static int console_open(struct platform *p, const char *console)
{
	if (console == NULL || strcmp(console, "stdio") == 0) {
		p->out_fd = STDOUT_FILENO;
		p->out_tty = isatty(STDOUT_FILENO);
		return 0;
	}
	p->out_fd = open(console, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			 0644);
	if (p->out_fd < 0) {
		log_err("vm: cannot open console file %s: %s", console,
			strerror(errno));
		return -errno;
	}
	p->out_owned = true;
	return 0;
}

int platform_add(struct vmm *vm)
{
	const struct vm_config *c = vmm_config(vm);
	struct platform *p;
	bool stdio = c->console == NULL || strcmp(c->console, "stdio") == 0;
	int r;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	vm->plat = p;
	p->vm = vm;
	p->out_fd = -1;
	pthread_mutex_init(&p->lock, NULL);
	r = console_open(p, c->console);
	if (r < 0)
		return r;
	serial8250_init(&p->uart, uart_tx, uart_irq, p);
	i8042_init(&p->kbd, kbd_reset, kbd_irq, p);
	rtc_init(&p->rtc);

	/* PCI host bridge, 00:00.0 (Red Hat's QEMU host bridge IDs, which
	 * Linux knows as a plain host bridge with no quirks) */
	pci_dev_init(&vm->host_bridge, 0x1b36, 0x0008, 0x06000000, 0x1af4,
		     0x1100);
	vm->pci.dev[0] = &vm->host_bridge;

	if ((r = vmm_pio_register(vm, COM1_PORT, 8, uart_io, p)) < 0 ||
	    /* 0x60-0x64: 0x61 (PIT gate/speaker) is KVM's and never exits */
	    (r = vmm_pio_register(vm, I8042_DATA_PORT,
				  I8042_CMD_PORT - I8042_DATA_PORT + 1, kbd_io,
				  p)) < 0 ||
	    (r = vmm_pio_register(vm, RTC_INDEX_PORT, 2, rtc_port_io, p)) < 0 ||
	    (r = vmm_pio_register(vm, ACPI_PM_BASE, ACPI_PM_LEN, pm_io, p)) < 0 ||
	    (c->pci_conf1 &&
	     (r = vmm_pio_register(vm, PCI_CONF1_ADDR, 8, vm_pci_conf1, vm)) < 0)) {
		log_err("vm: cannot register platform ports: %s", strerror(-r));
		return r;
	}
	if (!p->out_tty &&
	    loop_timer_add(vm->loop, FLUSH_MS, FLUSH_MS, on_flush, p,
			   &p->flush_timer) < 0)
		return -ENOMEM;
	/* stdin: only when it is pollable (not /dev/null or a plain file) */
	if (stdio && loop_fd_add(vm->loop, STDIN_FILENO, EPOLLIN, on_stdin, p,
				 &p->in_src) < 0)
		p->in_src = NULL;
	return 0;
}

void platform_free(struct platform *p)
{
	if (p == NULL)
		return;
	out_flush_locked(p);
	if (p->out_owned && p->out_fd >= 0)
		close(p->out_fd);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
