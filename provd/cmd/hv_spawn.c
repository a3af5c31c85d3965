/* hv_spawn: start a VM process the way build-vm needs it, whichever
 * hypervisor: its own process group (stop_vm signals the group), stdin
 * from /dev/null, stdout and stderr into a log file beside the console. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "provd/cmd/hypervisor.h"

int hv_spawn(const char *const *argv, const char *log, pid_t *pid)
{
	pid_t p = fork();

	if (p < 0)
		return -errno;
	if (p == 0) {
		int devnull = open("/dev/null", O_RDWR), fd;

		setpgid(0, 0);
		if (devnull >= 0) {
			dup2(devnull, 0);
			close(devnull);
		}
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* a path runs as is; a bare name is looked up in $PATH */
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	*pid = p;
	return 0;
}
