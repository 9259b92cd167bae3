// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kexec-file KERNEL INITRD CMDLINE: load a kernel with kexec_file_load(2)
 * and jump to it, as `kexec -s -l ... && kexec -e` would (busybox has no
 * kexec). Returns only on failure.
 */
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int kfd, ifd;

	if (argc != 4) {
		fprintf(stderr, "usage: kexec-file KERNEL INITRD CMDLINE\n");
		return 2;
	}
	kfd = open(argv[1], O_RDONLY | O_CLOEXEC);
	ifd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (kfd < 0 || ifd < 0) {
		perror("kexec-file: open");
		return 1;
	}
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(argv[3]) + 1, argv[3], 0UL)) {
		perror("kexec-file: kexec_file_load");
		return 1;
	}
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	perror("kexec-file: reboot(LINUX_REBOOT_CMD_KEXEC)");
	return 1;
}
