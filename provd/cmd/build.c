/* build: `provd build-vm` orchestration (see build.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http/api.h"
#include "http/server.h"
#include "provd/base/buf.h"
#include "provd/base/fsutil.h"
#include "provd/base/log.h"
#include "provd/base/sha256.h"
#include "provd/base/strparse.h"
#include "provd/cmd/build.h"
#include "provd/cmd/cli_obj.h"
#include "provd/cmd/hypervisor.h"
#include "provd/core/events.h"
#include "provd/core/render.h"
#include "provd/core/resolve.h"
#include "provd/core/snapshot.h"
#include "provd/core/tmpl.h"
#include "provd/core/store.h"

#define DEFAULT_TIMEOUT_S (4 * 3600)
#define DEFAULT_MEMORY_MIB 2048
#define DEFAULT_VCPUS 2
#define DEFAULT_DISK_SIZE (20ULL << 30)

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

struct build {
	const struct build_opts *o;
	char id[112];
	char *dir;		/* <state>/builds/ID */
	char *disk;		/* dir/disk.raw */
	char *console;		/* dir/console.log */
	char sysname[32];
	char mac[18];
	char *profile_distro;
	char *autoinstall;
	char *kernel_path, *initrd_path;	/* local files (NULL: a URL) */
	uint64_t memory_mib, disk_size;
	unsigned vcpus;
	char format[8];
	struct hv_choice hv;
	struct http_server *http;
	uint16_t port;
	char base_url[64];
	pid_t vm;
	int vm_status;
	bool vm_exited, saw_done, saw_failed, saw_answer, saw_boot, saw_start;
	time_t t0, t_answer, t_done, t_exit;
	char phase[48];
	char last_line[160];
	bool system_added;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_status(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_status(struct build *b, const char *fmt, ...)
{
	char text[512], *path = path_join(b->dir, "status");
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(text) - 2)
		n = sizeof(text) - 2;
	text[n++] = '\n';
	if (path)
		fs_write_atomic(path, text, (size_t)n, 0644);
	free(path);
}

/* A port on loopback nobody uses right now: the guest needs the URL before
 * the server starts, because the URL is what the server renders. */
static int pick_port(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	close(fd);
	*port = ntohs(a.sin_port);
	return 0;
}

static int start_http(struct build *b, struct snapshot *snap)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		struct http_server_opts ho = { 0 };
		struct http_router *rt;
		char listen[32];
		int r = pick_port(&b->port);

		if (r < 0)
			return r;
		snprintf(listen, sizeof(listen), "127.0.0.1:%u", b->port);
		/* libslirp maps 10.0.2.2 to the host's loopback. */
		snprintf(b->base_url, sizeof(b->base_url), "http://10.0.2.2:%u", b->port);
		ho.listen = listen;
		ho.state_dir = b->o->state_dir;
		ho.base_url = b->base_url;
		ho.threads = 2;
		rt = http_router_new();
		if (!rt)
			return -ENOMEM;
		if (http_serve_routes_add(rt) < 0 || http_api_routes_add(rt, NULL) < 0) {
			http_router_free(rt);
			return -ENOMEM;
		}
		r = http_server_new(&ho, rt, snap, &b->http);
		if (r == -EADDRINUSE)
			continue;
		if (r == 0)
			http_server_set_observer(b->http, metrics_observe, NULL);
		return r;
	}
	return -EADDRINUSE;
}

/* Inside a double-quoted YAML scalar. */
static void yaml_quote(struct buf *y, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(y, '\\');
		buf_putc(y, *s);
	}
}

static int add_system(struct build *b, struct snapshot **snap)
{
	struct diags d = { 0 };
	char *yaml = NULL;
	uint8_t rnd[7];
	int r;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	/* 52:54:00 is the locally administered prefix QEMU and libvirt use. */
	snprintf(b->mac, sizeof(b->mac), "52:54:00:%02x:%02x:%02x", rnd[0], rnd[1], rnd[2]);
	snprintf(b->sysname, sizeof(b->sysname), "build-%02x%02x%02x%02x", rnd[3], rnd[4], rnd[5], rnd[6]);
	{
		struct buf y;
		buf_init(&y, 64 << 10);
		buf_printf(&y,
			   "# transient system of build %s (removed when the build ends)\n"
			   "profile: %s\n"
			   "interfaces:\n"
			   "  - mac: \"%s\"\n"
			   "    hostname: %s\n"
			   "netboot: true\n"
			   "pxe_just_once: true\n"
			   "kernel_options:\n"
			   "  console: \"ttyS0,115200n8\"\n",
			   b->id, b->o->profile, b->mac, b->o->profile);
		/* --append "k=v flag": one kernel_options entry per word. */
		if (b->o->append) {
			char *copy = strdup(b->o->append), *save = NULL;
			for (char *w = copy ? strtok_r(copy, " \t", &save) : NULL; w;
			     w = strtok_r(NULL, " \t", &save)) {
				char *eq = strchr(w, '=');
				if (eq)
					*eq = '\0';
				buf_puts(&y, "  \"");
				yaml_quote(&y, w);
				buf_puts(&y, "\": ");
				if (eq) {
					buf_puts(&y, "\"");
					yaml_quote(&y, eq + 1);
					buf_puts(&y, "\"\n");
				} else {
					buf_puts(&y, "null\n");
				}
			}
			free(copy);
		}
		yaml = buf_steal(&y, NULL);
		if (!yaml)
			return -ENOMEM;
	}
	r = store_put_yaml(b->o->state_dir, OBJ_SYSTEM, b->sysname, yaml, strlen(yaml),
			   STORE_CREATE, &d, snap);
	free(yaml);
	if (r < 0) {
		diags_print(&d, stderr);
		diags_clear(&d);
		return r;
	}
	diags_clear(&d);
	b->system_added = true;
	return 0;
}

static void remove_system(struct build *b)
{
	struct diags d = { 0 };

	if (!b->system_added || b->o->keep_system)
		return;
	if (store_remove(b->o->state_dir, OBJ_SYSTEM, b->sysname, &d, NULL) < 0) {
		fprintf(stderr, "provd: build-vm: could not remove the transient system %s:\n", b->sysname);
		diags_print(&d, stderr);
	}
	diags_clear(&d);
}

/* Last printable console line, without escape sequences (d-i draws with
 * them even on a serial console). */
static void read_last_line(struct build *b)
{
	char buf[4096], line[sizeof(b->last_line)];
	int fd = open(b->console, O_RDONLY | O_CLOEXEC);
	off_t end;
	ssize_t n;
	size_t o = 0;
	bool in_esc = false;

	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	if (end > (off_t)sizeof(buf))
		lseek(fd, end - (off_t)sizeof(buf), SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return;
	for (ssize_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (in_esc) {
			if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
				in_esc = false;
			continue;
		}
		if (c == 0x1b) {
			in_esc = true;
			continue;
		}
		if (c == '\n' || c == '\r') {
			while (o > 0 && line[o - 1] == ' ')
				o--;
			if (o > 0) {
				line[o] = '\0';
				memcpy(b->last_line, line, o + 1);
			}
			o = 0;
			continue;
		}
		if (c < 0x20 || c >= 0x7f)
			c = ' ';
		if (c == ' ' && (o == 0 || line[o - 1] == ' '))
			continue;
		if (o < sizeof(line) - 1)
			line[o++] = (char)c;
	}
}

static void read_events(struct build *b)
{
	struct event_filter f = { .system = b->sysname, .mac = b->mac, .any_of = true };
	struct event_list l = { 0 };

	if (events_read(b->o->state_dir, &f, &l) < 0)
		return;
	for (size_t i = 0; i < l.n; i++) {
		const char *k = l.v[i].kind;
		if (strcmp(k, EVENT_BOOT_FILE) == 0 && !b->saw_boot) {
			b->saw_boot = true;
			snprintf(b->phase, sizeof(b->phase), "booting installer");
		} else if (strcmp(k, EVENT_ANSWER) == 0 && !b->saw_answer) {
			b->saw_answer = true;
			b->t_answer = time(NULL);
			snprintf(b->phase, sizeof(b->phase), "installing");
		} else if (strcmp(k, EVENT_CB_START) == 0) {
			b->saw_start = true;
		} else if (strcmp(k, EVENT_CB_DONE) == 0 && !b->saw_done) {
			b->saw_done = true;
			b->t_done = time(NULL);
			snprintf(b->phase, sizeof(b->phase), "install done, waiting for reboot");
		} else if (strcmp(k, EVENT_CB_FAILED) == 0) {
			b->saw_failed = true;
		}
	}
	event_list_free(&l);
}

/* The builtin VMM's firmware loads the kernel over slirp's TFTP, which
 * provd's servers never see: its log says when it boots it. */
static void read_vmm_log(struct build *b)
{
	char *path = NULL, line[512];
	FILE *f;

	if (b->saw_boot || b->hv.kind != HV_BUILTIN || asprintf(&path, "%s.vmm", b->console) < 0)
		return;
	f = fopen(path, "re");
	free(path);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "vm: netboot: booting ")) {
			b->saw_boot = true;
			if (!b->saw_answer)
				snprintf(b->phase, sizeof(b->phase), "booting installer");
			break;
		}
	fclose(f);
}

static void show_progress(struct build *b, bool final)
{
	static char last_phase[48];
	static time_t last_print;
	long el = (long)(time(NULL) - b->t0);
	char line[256];
	int width = 100;
	struct winsize ws;

	snprintf(line, sizeof(line), "[%02ld:%02ld:%02ld] %-24s %s", el / 3600, el / 60 % 60,
		 el % 60, b->phase, b->last_line);
	if (b->o->progress) {
		if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
			width = ws.ws_col - 1;
		if ((int)strlen(line) > width)
			line[width] = '\0';
		fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
		fflush(stderr);
		return;
	}
	/* Not a terminal: one line per phase change, and a heartbeat. */
	if (final || strcmp(last_phase, b->phase) != 0 || time(NULL) - last_print >= 60) {
		fprintf(stderr, "%s\n", line);
		snprintf(last_phase, sizeof(last_phase), "%s", b->phase);
		last_print = time(NULL);
	}
}

/*
 * The builtin VMM's netboot folder (slirp's TFTP root): what a lab's TFTP
 * tree holds for this one machine, pxelinux.cfg/01-<mac> rendered with the
 * build's own base URL (the state's tree carries the daemon's) and the
 * kernel and initrd at the names that file gives (boot/<distro>/<file>).
 */
static int builtin_tftp(struct build *b, struct snapshot *snap, const char *tdir)
{
	struct buf out;
	struct diags d = { 0 };
	char name[64], *cfg = NULL, *dir = NULL;
	const char *paths[2] = { b->kernel_path, b->initrd_path };
	int r;

	if (!b->kernel_path) {
		fprintf(stderr, "provd: build-vm: the distro's kernel is a URL; the builtin VMM's "
			"firmware loads it over TFTP\n  hint: import the distro (its files are then "
			"local) or use --hypervisor qemu\n");
		return -EINVAL;
	}
	buf_init(&out, TMPL_OUTPUT_MAX);
	r = render_pxelinux_system(snap, b->sysname, b->base_url, &out, &d);
	if (r < 0) {
		cli_print_diags(&d);
		diags_clear(&d);
		buf_free(&out);
		return r;
	}
	snprintf(name, sizeof(name), "pxelinux.cfg/01-%s", b->mac);
	for (char *p = name + 16; *p; p++)
		if (*p == ':')
			*p = '-';
	cfg = path_join(tdir, name);
	dir = path_join(tdir, "pxelinux.cfg");
	r = cfg && dir ? fs_mkdir_p(dir, 0755) : -ENOMEM;
	if (r >= 0)
		r = fs_write_atomic(cfg, out.p ? out.p : "", out.len, 0644);
	free(dir);
	dir = NULL;
	buf_free(&out);
	free(cfg);
	if (r < 0)
		return r;
	if (asprintf(&dir, "%s/boot/%s", tdir, b->profile_distro ? b->profile_distro : "distro") < 0)
		return -ENOMEM;
	r = fs_mkdir_p(dir, 0755);
	for (int i = 0; i < 2 && r >= 0; i++) {
		const char *base;
		char *link = NULL;

		if (!paths[i])
			continue;
		base = strrchr(paths[i], '/');
		base = base ? base + 1 : paths[i];
		if (asprintf(&link, "%s/%s", dir, base) < 0) {
			r = -ENOMEM;
			break;
		}
		unlink(link);
		if (symlink(paths[i], link) < 0)
			r = -errno;
		free(link);
	}
	free(dir);
	return r;
}

static void stop_vm(struct build *b)
{
	if (b->vm <= 0 || b->vm_exited)
		return;
	kill(-b->vm, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(b->vm, &b->vm_status, WNOHANG) == b->vm) {
			b->vm_exited = true;
			return;
		}
		usleep(100000);
	}
	kill(-b->vm, SIGKILL);
	waitpid(b->vm, &b->vm_status, 0);
	b->vm_exited = true;
}

static int write_manifest(struct build *b, const char *image, const char *sha, const char *out_path,
			  json_t **out)
{
	struct stat st;
	json_t *m;
	char *text, *mpath;
	int r;

	if (stat(image, &st) < 0)
		return -errno;
	m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I}, "
		      "s:s, s:{s:I, s:I, s:I}, s:{s:s, s:s}, s:{s:I, s:i}}",
		      "build", b->id, "profile", b->o->profile, "distro", b->profile_distro ? b->profile_distro : "",
		      "autoinstall", b->autoinstall ? b->autoinstall : "",
		      "system", b->sysname, "mac", b->mac, "format", b->format, "image", out_path,
		      "sha256", sha,
		      "sizes", "virtual", (json_int_t)b->disk_size, "file", (json_int_t)st.st_size,
		      "allocated", (json_int_t)st.st_blocks * 512,
		      "finished", "",
		      "durations_s", "total", (json_int_t)(b->t_exit - b->t0),
		      "until_answer", (json_int_t)(b->t_answer ? b->t_answer - b->t0 : -1),
		      "install", (json_int_t)(b->t_done && b->t_answer ? b->t_done - b->t_answer : -1),
		      "hypervisor", "kind", b->hv.kind == HV_QEMU ? (b->hv.kvm ? "qemu-kvm" : "qemu-tcg") : "builtin",
		      "reason", b->hv.reason,
		      "vm", "memory_mib", (json_int_t)b->memory_mib, "vcpus", (int)b->vcpus);
	if (!m)
		return -ENOMEM;
	{
		char ts[32];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(m, "finished", json_string(ts));
	}
	{
		/* Which template text built this image (an admin's copy in
		 * <state>/templates wins over the shipped one). */
		char *tp = render_template_path(b->o->state_dir, b->autoinstall ? b->autoinstall : "");
		char th[65];
		if (tp && sha256_file_hex(tp, th) == 0) {
			json_object_set_new(m, "template_sha256", json_string(th));
			json_object_set_new(m, "template_path", json_string(tp));
		}
		free(tp);
	}
	text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text) {
		json_decref(m);
		return -ENOMEM;
	}
	mpath = path_join(b->dir, "manifest.json");
	r = mpath ? fs_write_atomic(mpath, text, strlen(text), 0644) : -ENOMEM;
	free(mpath);
	if (r == 0) {
		char *beside = NULL;
		if (asprintf(&beside, "%s.json", out_path) < 0)
			r = -ENOMEM;
		else
			r = fs_write_atomic(beside, text, strlen(text), 0644);
		free(beside);
	}
	free(text);
	*out = m;
	return r;
}

static int run_cmd(const char *const argv[])
{
	int st;
	pid_t p = fork();

	if (p < 0)
		return -errno;
	if (p == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(p, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/* The finished disk goes into place with one rename (same file system) or a
 * copy to a temp file beside it and a rename: never a half image at out. */
static int finish_image(struct build *b, const char *out_path, char **image_out)
{
	char *dir = strdup(out_path), *slash, *src = NULL;
	int r;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		r = fs_mkdir_p(dir, 0755);
		if (r < 0) {
			free(dir);
			return r;
		}
	}
	free(dir);
	if (strcmp(b->format, "qcow2") == 0) {
		src = path_join(b->dir, "disk.qcow2");
		const char *argv[] = { "qemu-img", "convert", "-O", "qcow2", b->disk, src, NULL };
		r = src ? run_cmd(argv) : -ENOMEM;
		if (r < 0) {
			fprintf(stderr, "provd: build-vm: qemu-img convert failed (is qemu-utils installed?)\n");
			free(src);
			return r;
		}
		unlink(b->disk);
	} else {
		src = strdup(b->disk);
	}
	if (rename(src, out_path) < 0) {
		r = -errno;
		if (r == -EXDEV)
			r = fs_copy_file(src, out_path, 0644);
		if (r < 0) {
			free(src);
			return r;
		}
		unlink(src);
	}
	free(src);
	*image_out = strdup(out_path);
	return 0;
}

static int resolve_settings(struct build *b, struct snapshot *snap)
{
	struct resolved *res = NULL;
	int r = resolve_profile(snap, b->o->profile, &res);

	if (r == -ENOENT) {
		fprintf(stderr, "provd: build-vm: no profile '%s'\n  hint: `provd profile list` shows them; "
			"`provd profile add NAME --distro D` creates one\n", b->o->profile);
		return r;
	}
	if (r < 0)
		return r;
	b->memory_mib = res->vm_memory_mib.value ? res->vm_memory_mib.value : DEFAULT_MEMORY_MIB;
	b->vcpus = res->vm_vcpus.value ? (unsigned)res->vm_vcpus.value : DEFAULT_VCPUS;
	b->disk_size = res->vm_disk_size.value ? res->vm_disk_size.value : DEFAULT_DISK_SIZE;
	snprintf(b->format, sizeof(b->format), "%s",
		 b->o->format ? b->o->format : res->vm_disk_format.value ? res->vm_disk_format.value : "raw");
	b->profile_distro = res->distro ? strdup(res->distro->name) : NULL;
	b->autoinstall = res->autoinstall.value ? strdup(res->autoinstall.value) : NULL;
	b->kernel_path = res->kernel_path ? strdup(res->kernel_path) : NULL;
	b->initrd_path = res->initrd_path ? strdup(res->initrd_path) : NULL;
	if (!b->autoinstall) {
		fprintf(stderr, "provd: build-vm: profile '%s' has no autoinstall template, so the "
			"installer would wait for a human\n  hint: `provd profile edit %s` and set "
			"autoinstall: preseed/debian.cfg (or kickstart/fedora.ks)\n",
			b->o->profile, b->o->profile);
		resolved_free(res);
		return -EINVAL;
	}
	resolved_free(res);
	if (strcmp(b->format, "raw") != 0 && strcmp(b->format, "qcow2") != 0) {
		fprintf(stderr, "provd: build-vm: unknown disk format '%s' (use raw or qcow2)\n", b->format);
		return -EINVAL;
	}
	return 0;
}

int build_vm_run(const struct build_opts *o)
{
	struct build b = { .o = o, .vm = -1 };
	struct snapshot *snap = NULL;
	struct diags d = { 0 };
	struct sigaction sa = { .sa_handler = on_stop_signal }, old_int, old_term;
	char *out_path = NULL, *image = NULL, stamp[32], sha[65] = "";
	json_t *manifest = NULL;
	const char *fail = NULL;
	unsigned timeout = o->timeout_s ? o->timeout_s : DEFAULT_TIMEOUT_S;
	int rc = 1, fd, r;
	struct tm tm;
	double last_events = 0;

	b.t0 = time(NULL);
	gmtime_r(&b.t0, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(b.id, sizeof(b.id), "%s-%.64s", stamp, o->profile);
	snprintf(b.phase, sizeof(b.phase), "starting");

	snap = snapshot_load(o->state_dir, &d);
	if (!snap) {
		diags_print(&d, stderr);
		fprintf(stderr, "provd: build-vm: the state in %s is invalid; `provd check` lists every problem\n",
			o->state_dir);
		diags_clear(&d);
		return 1;
	}
	diags_clear(&d);
	if (resolve_settings(&b, snap) < 0)
		goto out;
	if (hv_choose(o->hypervisor, o->accel, &b.hv) < 0) {
		fprintf(stderr, "provd: build-vm: %s\n", b.hv.reason);
		goto out;
	}
	fprintf(stderr, "provd: build-vm: hypervisor: %s\n", b.hv.reason);

	if (o->output)
		out_path = strdup(o->output);
	else if (asprintf(&out_path, "%s/images/%s.%s", o->state_dir, o->profile, b.format) < 0)
		out_path = NULL;
	b.dir = path_join(o->state_dir, "builds");
	if (!out_path || !b.dir)
		goto out;
	free(b.dir);
	if (asprintf(&b.dir, "%s/builds/%s", o->state_dir, b.id) < 0) {
		b.dir = NULL;
		goto out;
	}
	b.disk = path_join(b.dir, "disk.raw");
	b.console = path_join(b.dir, "console.log");
	if (!b.disk || !b.console || fs_mkdir_p(b.dir, 0755) < 0) {
		fprintf(stderr, "provd: build-vm: cannot create %s: %s\n", b.dir, strerror(errno));
		goto out;
	}
	set_status(&b, "running");

	/* A sparse disk: only what the installer writes takes space. */
	fd = open(b.disk, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)b.disk_size) < 0) {
		fprintf(stderr, "provd: build-vm: cannot create %s: %s\n", b.disk, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);

	snapshot_unref(snap);
	snap = NULL;
	if (add_system(&b, &snap) < 0) {
		fprintf(stderr, "provd: build-vm: cannot register the transient system\n");
		goto out;
	}
	r = start_http(&b, snap);
	if (r < 0) {
		fprintf(stderr, "provd: build-vm: cannot start the HTTP service: %s\n", strerror(-r));
		goto out;
	}
	events_appendf(o->state_dir, b.sysname, b.mac, EVENT_BUILD_START, "build %s profile %s",
		       b.id, o->profile);

	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	{
		char script[256], name[128];
		char *tdir = path_join(b.dir, "tftp"), *tfile = tdir ? path_join(tdir, "boot.ipxe") : NULL;
		bool builtin = b.hv.kind == HV_BUILTIN;

		snprintf(script, sizeof(script), "#!ipxe\nchain %s/ipxe/%s\n", b.base_url, b.mac);
		snprintf(name, sizeof(name), "provd-%s", b.sysname);
		if (!tfile || fs_mkdir_p(tdir, 0755) < 0 ||
		    (builtin ? builtin_tftp(&b, snap, tdir) < 0
			     : fs_write_atomic(tfile, script, strlen(script), 0644) < 0)) {
			fprintf(stderr, "provd: build-vm: cannot write the boot files into %s\n",
				tdir ? tdir : "the build folder");
			free(tdir);
			free(tfile);
			goto out_sig;
		}
		free(tfile);
		struct hv_vm vm = {
			.memory_mib = b.memory_mib, .vcpus = b.vcpus, .disk = b.disk, .mac = b.mac,
			.tftp_dir = tdir, .bootfile = builtin ? "pxelinux.0" : "boot.ipxe",
			.console = b.console, .name = name,
		};
		r = builtin ? hv_builtin_start(&vm, &b.vm) : hv_qemu_start(&b.hv, &vm, &b.vm);
		free(tdir);
		if (r < 0) {
			fprintf(stderr, "provd: build-vm: cannot start the VM: %s\n", strerror(-r));
			goto out_sig;
		}
		events_appendf(o->state_dir, b.sysname, b.mac, EVENT_VM_START, "%s, %llu MiB, %u vCPUs",
			       builtin ? "builtin" : b.hv.kvm ? "qemu-kvm" : "qemu-tcg",
			       (unsigned long long)b.memory_mib, b.vcpus);
	}
	fprintf(stderr, "provd: build-vm: build %s: VM %s (MAC %s) netbooting from %s; console: %s\n",
		b.id, b.sysname, b.mac, b.base_url, b.console);
	snprintf(b.phase, sizeof(b.phase), "netbooting");

	for (;;) {
		if (waitpid(b.vm, &b.vm_status, WNOHANG) == b.vm) {
			b.vm_exited = true;
			b.t_exit = time(NULL);
		}
		if (now_s() - last_events >= 1.0 || b.vm_exited) {
			read_events(&b);
			read_vmm_log(&b);
			read_last_line(&b);
			last_events = now_s();
		}
		show_progress(&b, false);
		if (b.vm_exited)
			break;
		if (stop_signal) {
			fail = "interrupted";
			break;
		}
		if ((unsigned)(time(NULL) - b.t0) > timeout) {
			fail = "timed out";
			break;
		}
		usleep(250000);
	}
	stop_vm(&b);
	if (!b.t_exit)
		b.t_exit = time(NULL);
	show_progress(&b, true);
	events_appendf(o->state_dir, b.sysname, b.mac, EVENT_VM_EXIT, "%s",
		       fail ? fail : "guest rebooted or powered off");

	if (!fail && b.saw_failed)
		fail = "the installer reported failure (callback 'failed')";
	if (!fail && !b.saw_done)
		fail = b.saw_answer ? "the VM stopped before the install called back 'done'"
				    : b.saw_boot ? "the VM stopped before fetching its answer file"
						 : "the VM stopped before network-booting the installer";
	if (fail) {
		fprintf(stderr, "provd: build-vm: build %s failed: %s\n  hint: see %s and "
			"`provd events --system %s`; the previous image (if any) is untouched\n",
			b.id, fail, b.console, b.sysname);
		set_status(&b, "failed: %s", fail);
		events_appendf(o->state_dir, b.sysname, b.mac, EVENT_BUILD_FAILED, "%s", fail);
		goto out_sig;
	}

	snprintf(b.phase, sizeof(b.phase), "finishing image");
	show_progress(&b, true);
	if (finish_image(&b, out_path, &image) < 0) {
		fprintf(stderr, "provd: build-vm: cannot move the image to %s\n", out_path);
		set_status(&b, "failed: cannot move the image into place");
		goto out_sig;
	}
	if (sha256_file_hex(image, sha) < 0)
		sha[0] = '\0';
	if (write_manifest(&b, image, sha, out_path, &manifest) < 0)
		fprintf(stderr, "provd: build-vm: warning: cannot write the manifest\n");
	set_status(&b, "ok");
	events_appendf(o->state_dir, b.sysname, b.mac, EVENT_BUILD_DONE, "%s", out_path);
	if (o->json && manifest) {
		json_dumpf(manifest, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
	} else {
		printf("built %s (%s, sha256 %s) in %lds\n", out_path, b.format, sha,
		       (long)(b.t_exit - b.t0));
	}
	rc = 0;
out_sig:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	stop_vm(&b);
	http_server_free(b.http);
	remove_system(&b);
	if (rc != 0 && b.disk && !o->keep_system)
		unlink(b.disk);
	json_decref(manifest);
	snapshot_unref(snap);
	free(out_path);
	free(image);
	free(b.dir);
	free(b.disk);
	free(b.console);
	free(b.profile_distro);
	free(b.kernel_path);
	free(b.initrd_path);
	free(b.autoinstall);
	return rc;
}
