// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "hcall/common/reap.h"

int hc_reap_bounded(pid_t pid, unsigned int ms)
{
	for (unsigned int i = 0; i <= ms / 10; i++) {
		pid_t r = waitpid(pid, NULL, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return 0;
		usleep(10000);
	}
	return -1;
}

int hc_reap_or_kill(pid_t pid, unsigned int ms)
{
	if (pid > 0 && hc_reap_bounded(pid, ms)) {
		kill(pid, SIGKILL);
		return hc_reap_bounded(pid, ms);
	}
	return 0;
}

void hc_child_prepare(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}
