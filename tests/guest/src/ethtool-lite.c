// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ethtool-lite: what the network guest tests need of ethtool, which busybox
 * lacks, by the SIOCETHTOOL ioctl:
 *   ethtool-lite -S IFACE   the driver's counters, one "name=value" a line
 *   ethtool-lite -k IFACE   the features, one "name=on|off" a line, with
 *                           " [fixed]" where the driver does not let it change
 *   ethtool-lite -K IFACE FEATURE on|off [FEATURE on|off]...
 * FEATURE is a kernel feature name (tx-checksum-ip-generic, rx-checksum,
 * tx-tcp-segmentation...) or one of ethtool's own, each standing for every
 * kernel feature it covers: tx (tx-checksumming), sg (scatter-gather), tso
 * (tcp-segmentation-offload), gso (generic-segmentation-offload), gro
 * (generic-receive-offload), rx (rx-checksumming). -K fails (status 1, one
 * line on stderr each) for an unknown FEATURE, one the driver does not let
 * change, or one that does not end up as asked (the kernel drops some for
 * others: TSO needs SG, SG needs a tx checksum).
 */
#include <errno.h>
#include <fnmatch.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *ifname;
static int sock;

/* ethtool's own names: the kernel features each covers (ethtool's off_flag_def). */
static const struct {
	const char *name, *alt, *pattern;
} aliases[] = {
	{ "rx", "rx-checksumming", "rx-checksum" },
	{ "tx", "tx-checksumming", "tx-checksum-*" },
	{ "sg", "scatter-gather", "tx-scatter-gather*" },
	{ "tso", "tcp-segmentation-offload", "tx-tcp*-segmentation" },
	{ "gso", "generic-segmentation-offload", "tx-generic-segmentation" },
	{ "gro", "generic-receive-offload", "rx-gro" },
};

static void die(const char *what)
{
	fprintf(stderr, "ethtool-lite: %s %s: %s\n", ifname, what, strerror(errno));
	exit(1);
}

static void eth_ioctl(void *cmd, const char *what)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	/* SFEATURES answers a positive ETHTOOL_F_* mask: checked by reading back. */
	if (ioctl(sock, SIOCETHTOOL, &ifr) < 0)
		die(what);
}

static void *zalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p) {
		fprintf(stderr, "ethtool-lite: out of memory\n");
		exit(1);
	}
	return p;
}

/* The names of string set @set (ETH_SS_*), NUL-terminated, ETH_GSTRING_LEN apart. */
static char *get_strings(unsigned int set, unsigned int *n)
{
	struct ethtool_sset_info *info = zalloc(sizeof(*info) + sizeof(__u32));
	struct ethtool_gstrings *gs;
	char *names;
	unsigned int i;

	info->cmd = ETHTOOL_GSSET_INFO;
	info->sset_mask = 1ull << set;
	eth_ioctl(info, "ETHTOOL_GSSET_INFO");
	*n = info->sset_mask ? info->data[0] : 0;
	free(info);
	gs = zalloc(sizeof(*gs) + (size_t)*n * ETH_GSTRING_LEN);
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = set;
	gs->len = *n;
	eth_ioctl(gs, "ETHTOOL_GSTRINGS");
	if (gs->len < *n)
		*n = gs->len;
	names = zalloc((size_t)*n * (ETH_GSTRING_LEN + 1));
	for (i = 0; i < *n; i++)
		memcpy(names + i * (ETH_GSTRING_LEN + 1), gs->data + i * ETH_GSTRING_LEN,
		       ETH_GSTRING_LEN);
	free(gs);
	return names;
}

#define NAME(names, i) ((names) + (size_t)(i) * (ETH_GSTRING_LEN + 1))

static int stats(void)
{
	struct ethtool_stats *st;
	unsigned int n, i;
	char *names = get_strings(ETH_SS_STATS, &n);

	st = zalloc(sizeof(*st) + (size_t)n * sizeof(__u64));
	st->cmd = ETHTOOL_GSTATS;
	st->n_stats = n;
	eth_ioctl(st, "ETHTOOL_GSTATS");
	for (i = 0; i < n && i < st->n_stats; i++)
		printf("%s=%llu\n", NAME(names, i), (unsigned long long)st->data[i]);
	return 0;
}

static struct ethtool_gfeatures *get_features(unsigned int nfeat)
{
	unsigned int blocks = (nfeat + 31) / 32;
	struct ethtool_gfeatures *gf;

	gf = zalloc(sizeof(*gf) + blocks * sizeof(gf->features[0]));
	gf->cmd = ETHTOOL_GFEATURES;
	gf->size = blocks;
	eth_ioctl(gf, "ETHTOOL_GFEATURES");
	return gf;
}

#define BIT_OF(f, i, field) (((f)->features[(i) / 32].field >> ((i) % 32)) & 1)

static int show_features(void)
{
	unsigned int n, i;
	char *names = get_strings(ETH_SS_FEATURES, &n);
	struct ethtool_gfeatures *gf = get_features(n);

	for (i = 0; i < n; i++)
		printf("%s=%s%s\n", NAME(names, i), BIT_OF(gf, i, active) ? "on" : "off",
		       BIT_OF(gf, i, available) ? "" : " [fixed]");
	return 0;
}

/* Does @arg name kernel feature @feat, itself or by one of ethtool's names? */
static int names_feature(const char *arg, const char *feat)
{
	unsigned int a;

	for (a = 0; a < sizeof(aliases) / sizeof(aliases[0]); a++)
		if (!strcmp(arg, aliases[a].name) || !strcmp(arg, aliases[a].alt))
			return !fnmatch(aliases[a].pattern, feat, 0);
	return !strcmp(arg, feat);
}

static int set_features(int argc, char **argv)
{
	unsigned int n, i, blocks;
	char *names = get_strings(ETH_SS_FEATURES, &n);
	struct ethtool_gfeatures *gf = get_features(n);
	struct ethtool_sfeatures *sf;
	unsigned char *want = zalloc(n), *asked = zalloc(n);
	int k, matched, changeable, bad = 0;

	if (argc % 2) {
		fprintf(stderr, "ethtool-lite: -K wants FEATURE on|off pairs\n");
		return 2;
	}
	blocks = (n + 31) / 32;
	sf = zalloc(sizeof(*sf) + blocks * sizeof(sf->features[0]));
	sf->cmd = ETHTOOL_SFEATURES;
	sf->size = blocks;
	for (k = 0; k < argc; k += 2) {
		int on = !strcmp(argv[k + 1], "on");

		if (!on && strcmp(argv[k + 1], "off")) {
			fprintf(stderr, "ethtool-lite: %s: want on or off, not %s\n", argv[k],
				argv[k + 1]);
			return 2;
		}
		matched = changeable = 0;
		for (i = 0; i < n; i++) {
			if (!names_feature(argv[k], NAME(names, i)))
				continue;
			matched++;
			if (!BIT_OF(gf, i, available))
				continue;	/* as ethtool: an alias changes what can change */
			changeable++;
			asked[i] = 1;
			want[i] = (unsigned char)on;
			sf->features[i / 32].valid |= 1u << (i % 32);
			if (on)
				sf->features[i / 32].requested |= 1u << (i % 32);
			else
				sf->features[i / 32].requested &= ~(1u << (i % 32));
		}
		if (!matched || !changeable) {
			fprintf(stderr, "ethtool-lite: %s %s: %s\n", ifname, argv[k],
				matched ? "fixed on this device" : "no such feature");
			bad = 1;
		}
	}
	if (bad)
		return 1;
	eth_ioctl(sf, "ETHTOOL_SFEATURES");
	free(gf);
	gf = get_features(n);
	for (i = 0; i < n; i++)
		if (asked[i] && BIT_OF(gf, i, active) != want[i]) {
			fprintf(stderr, "ethtool-lite: %s %s stays %s\n", ifname, NAME(names, i),
				want[i] ? "off" : "on");
			bad = 1;
		}
	return bad;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argv[1][0] != '-' || !strchr("SkK", argv[1][1]) || argv[1][2] ||
	    (argv[1][1] != 'K' && argc != 3)) {
		fprintf(stderr, "usage: ethtool-lite -S IFACE | -k IFACE | -K IFACE FEATURE on|off...\n");
		return 2;
	}
	ifname = argv[2];
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (sock < 0)
		die("socket");
	switch (argv[1][1]) {
	case 'S':
		return stats();
	case 'k':
		return show_features();
	default:
		return set_features(argc - 3, argv + 3);
	}
}
