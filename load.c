/* Guest files: opened and checked, mapped read-only, their format detected; flat images. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm.h"
#include "boot/boot.h"

int why_fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

int file_map(const char *path, const char *what, bool allow_empty, struct file_buf *f, int *status)
{
	struct stat st;
	void *p;
	int fd;

	*f = (struct file_buf){ .path = path };
	*status = EXIT_BAD_GUEST;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT)
			fprintf(stderr, "kvmrun: %s '%s' does not exist; check the path\n", what, path);
		else if (e == EACCES || e == EPERM)
			fprintf(stderr, "kvmrun: %s '%s' is not readable (%s); check its permissions\n",
				what, path, strerror(e));
		else
			fprintf(stderr, "kvmrun: cannot open %s '%s': %s\n", what, path, strerror(e));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "kvmrun: cannot stat %s '%s': %s\n", what, path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "kvmrun: %s '%s' is a directory; name the image file inside it\n", what, path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "kvmrun: %s '%s' is not a regular file; save the image to a file first\n",
			what, path);
		goto fail;
	}
	if (st.st_size == 0) {
		close(fd);
		if (allow_empty)	/* a module may be empty (mod_start == mod_end), as with QEMU */
			return 0;
		fprintf(stderr, "kvmrun: %s '%s' is empty (0 bytes); nothing to run\n", what, path);
		return -1;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "kvmrun: cannot map %s '%s': %s\n", what, path, strerror(errno));
		*status = EXIT_HOST;
		goto fail;
	}
	close(fd);
	f->data = p;
	f->size = (uint64_t)st.st_size;
	return 0;
fail:
	close(fd);
	return -1;
}

void file_unmap(struct file_buf *f)
{
	if (f->data)
		munmap((void *)f->data, f->size);
	f->data = NULL;
}

static const char *const format_names[] = {
	[FORMAT_AUTO] = "auto", [FORMAT_FLAT] = "flat",
	[FORMAT_ELF] = "elf", [FORMAT_MULTIBOOT] = "multiboot",
	[FORMAT_LINUX] = "linux", [FORMAT_PVH] = "pvh",
};

const char *format_name(enum image_format fmt)
{
	return (unsigned)fmt < sizeof format_names / sizeof format_names[0] ? format_names[fmt] : "?";
}

int parse_format(const char *s, enum image_format *out)
{
	for (unsigned i = FORMAT_FLAT; i < sizeof format_names / sizeof format_names[0]; i++) {
		if (strcmp(s, format_names[i]) == 0) {
			*out = (enum image_format)i;
			return 0;
		}
	}
	return -1;
}

enum image_format image_detect(const struct file_buf *f)
{
	struct mb_header h;

	uint32_t pvh;

	if (mb_find(f, &h) == 0)
		return FORMAT_MULTIBOOT;
	if (pvh_entry(f, &pvh))
		return FORMAT_PVH;
	if (f->size >= 4 && memcmp(f->data, "\177ELF", 4) == 0)
		return FORMAT_ELF;
	if (linux_is_bzimage(f))
		return FORMAT_LINUX;
	return FORMAT_FLAT;
}

int load_flat(const struct guest_mem *m, const struct file_buf *f, uint64_t entry, struct image *img)
{
	uint8_t *dst = guest_range(m, entry, f->size);

	if (!dst)
		return -1;
	memcpy(dst, f->data, f->size);
	*img = (struct image){ .format = FORMAT_FLAT, .entry = entry, .low = entry, .high = entry + f->size };
	return 0;
}
