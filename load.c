/* The guest file: opened and checked before KVM is touched, then read into RAM. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm.h"

int load_open(const char *path, int *fd, uint64_t *size, int *status)
{
	struct stat st;

	*status = EXIT_BAD_GUEST;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; we refuse it below. */
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (*fd < 0) {
		int e = errno;

		if (e == ENOENT)
			fprintf(stderr, "kvmrun: guest '%s' does not exist; check the path\n", path);
		else if (e == EACCES || e == EPERM)
			fprintf(stderr, "kvmrun: guest '%s' is not readable (%s); check its permissions\n",
				path, strerror(e));
		else
			fprintf(stderr, "kvmrun: cannot open guest '%s': %s\n", path, strerror(e));
		return -1;
	}
	if (fstat(*fd, &st) < 0) {
		fprintf(stderr, "kvmrun: cannot stat guest '%s': %s\n", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "kvmrun: guest '%s' is a directory; name the image file inside it\n", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "kvmrun: guest '%s' is not a regular file; save the image to a file first\n", path);
		goto fail;
	}
	if (st.st_size == 0) {
		fprintf(stderr, "kvmrun: guest '%s' is empty (0 bytes); nothing to run\n", path);
		goto fail;
	}
	*size = (uint64_t)st.st_size;
	return 0;
fail:
	close(*fd);
	*fd = -1;
	return -1;
}

int load_flat(struct vm *vm, int fd, uint64_t size, uint64_t entry, const char *path)
{
	uint8_t *dst = guest_range(&vm->mem, entry, size);
	uint64_t done = 0;

	if (!dst) {
		fprintf(stderr, "kvmrun: guest '%s' does not fit in RAM at 0x%llx\n", path,
			(unsigned long long)entry);
		return -1;
	}
	while (done < size) {
		ssize_t n = pread(fd, dst + done, size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "kvmrun: reading guest '%s' failed at byte %llu: %s\n", path,
				(unsigned long long)done, n < 0 ? strerror(errno) : "file shrank while loading");
			return -1;
		}
		done += (uint64_t)n;
	}
	return 0;
}
