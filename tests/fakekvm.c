/*
 * fakekvm.so: an LD_PRELOAD shim, for tests only, that makes the KVM
 * failures real hardware rarely shows happen on demand. It wraps ioctl(2):
 *
 *   FAKEKVM_API=N      KVM_GET_API_VERSION returns N
 *   FAKEKVM_NO_CAP=N   KVM_CHECK_EXTENSION of capability N returns 0
 *   FAKEKVM_FAIL=NAME  that ioctl fails; NAME is one of CREATE_VM,
 *                      CREATE_VCPU, SET_USER_MEMORY_REGION, SET_SREGS, RUN
 *   FAKEKVM_ERRNO=E    the errno of that failure: a number or a name such
 *                      as ENOMEM (default EIO)
 *   FAKEKVM_FORBIDDEN=1  before each KVM_RUN, make a system call the run
 *                      loop's seccomp filter forbids (socket), as an
 *                      exploited runner would: the filter must kill it
 *
 * Everything else goes to the real ioctl unchanged. An environment value
 * the shim cannot read ends the process with status 99, so a typo in a
 * test fails loudly instead of silently testing nothing.
 */
#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

typedef int ioctl_fn(int fd, unsigned long request, ...);

static const struct {
	const char *name;
	unsigned long request;
} failable[] = {
	{ "CREATE_VM", KVM_CREATE_VM },
	{ "CREATE_VCPU", KVM_CREATE_VCPU },
	{ "SET_USER_MEMORY_REGION", KVM_SET_USER_MEMORY_REGION },
	{ "SET_SREGS", KVM_SET_SREGS },
	{ "RUN", KVM_RUN },
};

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EIO", EIO }, { "ENOMEM", ENOMEM }, { "EINVAL", EINVAL }, { "EPERM", EPERM },
	{ "EACCES", EACCES }, { "EBUSY", EBUSY }, { "EFAULT", EFAULT }, { "ENOSPC", ENOSPC },
	{ "ENXIO", ENXIO }, { "ENODEV", ENODEV }, { "EEXIST", EEXIST }, { "E2BIG", E2BIG },
};

static void die(const char *var, const char *val)
{
	/* write(2), not stdio: this may run inside any process of the test. */
	static const char pre[] = "fakekvm: cannot use ";
	(void)!write(STDERR_FILENO, pre, sizeof pre - 1);
	(void)!write(STDERR_FILENO, var, strlen(var));
	(void)!write(STDERR_FILENO, "=", 1);
	(void)!write(STDERR_FILENO, val, strlen(val));
	(void)!write(STDERR_FILENO, "\n", 1);
	_exit(99);
}

/* An integer from the environment: false when unset; dies when unreadable. */
static bool env_int(const char *var, long *v)
{
	const char *s = getenv(var);
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*v = strtol(s, &end, 0);
	if (errno || *end)
		die(var, s);
	return true;
}

static int fail_errno(void)
{
	const char *s = getenv("FAKEKVM_ERRNO");
	long v;

	if (!s || !*s)
		return EIO;
	for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
		if (strcmp(s, errnos[i].name) == 0)
			return errnos[i].value;
	if (!env_int("FAKEKVM_ERRNO", &v) || v <= 0 || v > 4095)
		die("FAKEKVM_ERRNO", s);
	return (int)v;
}

/* Should this request fail? FAKEKVM_FAIL names it. */
static bool must_fail(unsigned long request)
{
	const char *s = getenv("FAKEKVM_FAIL");
	bool known = false;

	if (!s || !*s)
		return false;
	for (size_t i = 0; i < sizeof failable / sizeof failable[0]; i++) {
		if (strcmp(s, failable[i].name) == 0) {
			known = true;
			if (request == failable[i].request)
				return true;
		}
	}
	if (!known)
		die("FAKEKVM_FAIL", s);
	return false;
}

int ioctl(int fd, unsigned long request, ...)
{
	static ioctl_fn *real;
	va_list ap;
	void *arg;
	long v;

	/* Every ioctl the runner makes has at most one argument, a word. */
	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (!real) {
		real = (ioctl_fn *)dlsym(RTLD_NEXT, "ioctl");
		if (!real) {
			errno = ENOSYS;
			return -1;
		}
	}
	if (request == KVM_GET_API_VERSION && env_int("FAKEKVM_API", &v)) {
		/* Only a KVM device answers at all: ask it, then lie. */
		int r = real(fd, request, arg);

		return r < 0 ? r : (int)v;
	}
	/* The capability is an int, passed in a word: compare its low 32 bits. */
	if (request == KVM_CHECK_EXTENSION && env_int("FAKEKVM_NO_CAP", &v) &&
	    (int)(long)arg == (int)v)
		return 0;
	if (must_fail(request)) {
		errno = fail_errno();
		return -1;
	}
	if (request == KVM_RUN && env_int("FAKEKVM_FORBIDDEN", &v) && v)
		syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	return real(fd, request, arg);
}
