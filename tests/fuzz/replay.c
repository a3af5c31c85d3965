/* replay: runs a fuzz target over its committed corpus, so every corpus file
 * (and every committed crasher) is an ordinary `make check` case under
 * ASan+UBSan. The corpus is tests/fuzz/corpus/<target>/, found from the
 * program name; extra arguments name files or directories to replay. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "provd/base/fsutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path, int *count)
{
	char *data = NULL;
	size_t len = 0;
	int r = fs_read_file(path, 16 << 20, &data, &len);

	if (r < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(-r));
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	(*count)++;
	return 0;
}

static int replay_path(const char *path, int *count)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int r = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, count);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char *p;
		if (e->d_name[0] == '.')
			continue;
		p = path_join(path, e->d_name);
		if (!p || replay_path(p, count) < 0)
			r = -1;
		free(p);
	}
	closedir(d);
	return r;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	const char *top = getenv("top_srcdir");
	char *dir = NULL;
	int count = 0, r = 0;

	name = name ? name + 1 : argv[0];
	if (strncmp(name, "lt-", 3) == 0)
		name += 3;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (replay_path(argv[i], &count) < 0)
				r = 1;
	} else {
		if (asprintf(&dir, "%s/tests/fuzz/corpus/%s", top ? top : PROVD_SRCDIR, name) < 0)
			return 1;
		if (replay_path(dir, &count) < 0)
			r = 1;
	}
	printf("replay: %s: %d input(s) replayed%s\n", name, count, r ? ", with errors" : "");
	free(dir);
	if (count == 0) {
		fprintf(stderr, "replay: %s: empty corpus\n", name);
		return 1;
	}
	return r;
}
