/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Readiness and liveness through sd_notify, in both directions.
 *
 * From workers: a datagram is attributed to a worker by the pid the kernel
 * attached to it (SO_PASSCRED), never by its content. READY=1 makes a
 * starting worker ready (readiness = notify), WATCHDOG=1 pushes its
 * deadline back, STATUS= is kept for `herd ctl status`, STOPPING=1 marks a
 * worker that is leaving on its own. A datagram from the new master of an
 * upgrade (our child) reports that it is ready.
 *
 * To systemd (and to an old master that started us): READY=1 once the first
 * generation is ready, STATUS= in words.
 */
#include "master/master.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"

void
master_status_text(const struct master *m, char *buf, size_t len)
{
	snprintf(buf, len, "%d/%d workers ready, generation %d",
		 workers_count(m, m->generation, WORKER_READY), m->wanted,
		 m->generation);
}

void
master_notify_systemd(struct master *m, const char *text)
{
	int rc;

	if (m->systemd_notify == NULL)
		return;
	rc = notify_send(m->systemd_notify, text);
	if (rc < 0)
		log_warn("master: NOTIFY_SOCKET %s: %s", m->systemd_notify,
			 strerror(-rc));
}

/*
 * Once every worker of the first generation is ready, say so: to systemd
 * (Type=notify) and, after an upgrade, to the old master that waits for us.
 */
void
master_check_ready(struct master *m)
{
	char text[256], status[128];
	int rc;

	if (m->announced_ready || m->stop != MASTER_RUNNING ||
	    workers_count(m, m->generation, WORKER_READY) < m->wanted)
		return;
	m->announced_ready = true;
	master_status_text(m, status, sizeof(status));
	log_info("master: ready (%s)", status);
	/*
	 * After an upgrade we are systemd's new main process: say so before
	 * the old master leaves (systemd needs NotifyAccess=all for this).
	 */
	snprintf(text, sizeof(text), "READY=1\nSTATUS=%s\nMAINPID=%d", status,
		 (int)getpid());
	master_notify_systemd(m, text);
	if (m->parent_notify != NULL) {
		rc = notify_send(m->parent_notify, text);
		if (rc < 0)
			log_warn("master: telling the old master we are "
				 "ready: %s",
				 strerror(-rc));
	}
}

static void
on_message(struct master *m, const struct notify_msg *msg)
{
	struct worker *w;

	if (m->upgrade.active && msg->pid == m->upgrade.pid) {
		upgrade_on_message(m, msg);
		return;
	}
	w = workers_find_pid(m, msg->pid);
	if (w == NULL) {
		log_debug("master: notify message from pid %d, not a worker; "
			  "ignored",
			  (int)msg->pid);
		return;
	}
	if (msg->has_status)
		snprintf(w->status, sizeof(w->status), "%s", msg->status);
	if (msg->ready && w->state == WORKER_STARTING &&
	    m->cfg->readiness == CLI_READINESS_NOTIFY)
		worker_set_ready(m, w);
	if (msg->watchdog && w->state == WORKER_READY && !w->in_process) {
		w->last_ping_ms = proc_now_ms();
		if (m->cfg->timeout_ms > 0)
			w->watchdog_at_ms =
				w->last_ping_ms + m->cfg->timeout_ms;
	}
	if (msg->watchdog_trigger && w->state == WORKER_READY && !w->in_process)
		w->watchdog_at_ms = proc_now_ms();
	if (msg->retire && w->state == WORKER_READY)
		worker_retire(m, w, msg->retire_reason);
	if (msg->stopping && w->state == WORKER_READY) {
		/* Leaving on its own: bound its exit, start its successor. */
		worker_stop(m, w, "it sent STOPPING=1");
		workers_ensure(m);
	}
}

void
master_on_notify(struct master *m, int fd)
{
	struct notify_msg msg;
	int rc, budget = 64;

	/* A bounded batch: a flood of datagrams cannot starve the loop. */
	while (budget-- > 0 && (rc = notify_recv(fd, &msg)) == 1)
		on_message(m, &msg);
}
