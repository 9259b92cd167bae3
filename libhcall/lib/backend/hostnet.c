// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TAPs and bridges for the vif type, with the kernel's own ioctls: no
 * netlink library and no helper programs, so hcall-run needs only
 * CAP_NET_ADMIN (or a TAP the user made for it: opening an existing TAP
 * that belongs to the user needs no privilege).
 */
#include <errno.h>
#include <ifaddrs.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include "hcall/backend/hostnet.h"
#include "hcall/common/err.h"

int hc_tap_open(char *name, unsigned int nq, int *fds, char *err, size_t errlen)
{
	struct ifreq ifr;
	unsigned int q;
	int hdr = 10;	/* struct virtio_net_hdr, what hcall-dd reads and writes */

	for (q = 0; q < nq; q++)
		fds[q] = -1;
	for (q = 0; q < nq; q++) {
		fds[q] = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fds[q] < 0)
			goto fail;
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
		snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
		if (ioctl(fds[q], TUNSETIFF, &ifr) || ioctl(fds[q], TUNSETVNETHDRSZ, &hdr))
			goto fail;
		snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
	}
	return 0;
fail:
	hc_err(err, errlen, "TAP %s: %s%s", *name ? name : "(new)", strerror(errno),
	       errno == EPERM || errno == EACCES ? " (needs CAP_NET_ADMIN, or a TAP made for this user)" :
	       errno == EINVAL ? " (exists without multi-queue or a vnet header?)" : "");
	for (q = 0; q < nq; q++)
		if (fds[q] >= 0)
			close(fds[q]);
	return -1;
}

int hc_tap_set_offload(int fd, unsigned int tun_f)
{
	return ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_f) ? -1 : 0;
}

int hc_tap_queue_enable(int fd, int on)
{
	struct ifreq ifr = { .ifr_flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE };

	/* EINVAL: it already is (the kernel refuses to attach twice). */
	return ioctl(fd, TUNSETQUEUE, &ifr) && errno != EINVAL ? -1 : 0;
}

/* One ioctl on an AF_INET socket, the way ifconfig and brctl do it. */
static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret, e;

	if (s < 0)
		return -1;
	ret = ioctl(s, req, ifr);
	e = errno;
	close(s);
	errno = e;
	return ret;
}

static void ifr_init(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
}

static int set_up(const char *ifname, int up)
{
	struct ifreq ifr;

	ifr_init(&ifr, ifname);
	if (if_ioctl(SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags = (short)(up ? ifr.ifr_flags | IFF_UP : ifr.ifr_flags & ~IFF_UP);
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

int hc_if_up(const char *ifname, unsigned int mtu, char *err, size_t errlen)
{
	struct ifreq ifr;

	ifr_init(&ifr, ifname);
	ifr.ifr_mtu = (int)mtu;
	if ((mtu && if_ioctl(SIOCSIFMTU, &ifr)) || set_up(ifname, 1))
		return hc_err(err, errlen, "%s: cannot bring it up: %s", ifname, strerror(errno));
	return 0;
}

int hc_bridge_addif(const char *br, const char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr;
	int idx = (int)if_nametoindex(ifname);

	if (!if_nametoindex(br))
		return hc_err(err, errlen, "bridge %s: no such interface", br);
	ifr_init(&ifr, br);
	ifr.ifr_ifindex = idx;
	if (!idx || if_ioctl(SIOCBRADDIF, &ifr))
		return hc_err(err, errlen, "cannot add %s to bridge %s: %s", ifname, br,
			      errno == EOPNOTSUPP ? "not a bridge" : strerror(errno));
	return 0;
}

int hc_bridge_create(const char *br, uint32_t addr, unsigned int prefix, char *err,
		     size_t errlen)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0 || ioctl(s, SIOCBRADDBR, br)) {
		hc_err(err, errlen, "cannot create bridge %s: %s", br, strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	ifr_init(&ifr, br);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
	if (if_ioctl(SIOCSIFADDR, &ifr))
		goto fail;
	ifr_init(&ifr, br);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
	if (if_ioctl(SIOCSIFNETMASK, &ifr) || set_up(br, 1))
		goto fail;
	return 0;
fail:
	hc_err(err, errlen, "bridge %s: cannot set its address: %s", br, strerror(errno));
	hc_bridge_destroy(br);
	return -1;
}

void hc_bridge_destroy(const char *br)
{
	int s;

	set_up(br, 0);	/* the kernel refuses to delete a bridge that is up */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		ioctl(s, SIOCBRDELBR, br);
		close(s);
	}
}

int hc_subnet_in_use(uint32_t addr, unsigned int prefix, char *err, size_t errlen)
{
	struct ifaddrs *all, *i;
	int ret = 0;

	if (getifaddrs(&all))
		return hc_err(err, errlen, "cannot list the host's addresses: %s", strerror(errno));
	for (i = all; i && !ret; i = i->ifa_next) {
		uint32_t a, m, mine = prefix ? ~0u << (32 - prefix) : 0;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask)
			continue;
		a = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		m = ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
		/* Two subnets overlap when they agree on the shorter of their prefixes. */
		if (!((a ^ addr) & m & mine))
			ret = hc_err(err, errlen, "%u.%u.%u.%u/%u overlaps %s's address %u.%u.%u.%u "
				     "(choose another with net=)", addr >> 24, addr >> 16 & 255,
				     addr >> 8 & 255, addr & 255, prefix, i->ifa_name, a >> 24,
				     a >> 16 & 255, a >> 8 & 255, a & 255);
	}
	freeifaddrs(all);
	return ret;
}
