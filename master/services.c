/*
 * services.c - master.cf into running services.
 *
 * master_services_load reads master.cf and builds a new generation of
 * services, taking over the listening socket of any old service with the
 * same name, type and address (a reload never closes a listener that stays,
 * so no connection is refused); master_services_free releases a list.
 * Process counts: maxproc, or with "-" one process for unix services and
 * one per CPU for inet services (each process serves many sessions).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "master/master.h"

/* Upper bound on processes per service, whatever master.cf says. */
#define MASTER_MAX_PROCS 4096

/* services_default_procs - the process count for maxproc "-" */
static unsigned
services_default_procs(enum service_type type)
{
	long n;

	if (type == SERVICE_TYPE_UNIX)
		return 1;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/* services_free_one - release one service */
static void
services_free_one(struct master_service **svcp)
{
	struct master_service *svc = *svcp;
	size_t i;

	if (svc->throttle_timer != NULL)
		event_timer_remove(&svc->throttle_timer);
	master_listen_close(svc);
	for (i = 0; svc->argv != NULL && svc->argv[i] != NULL; i++)
		mem_free(&svc->argv[i]);
	mem_free(&svc->argv);
	mem_free(&svc->name);
	mem_free(&svc->command);
	mem_free(&svc->listen_desc);
	mem_free(&svc->unix_path);
	mem_free(svcp);
}

/* master_services_free - release a list of services */
void
master_services_free(struct master *m, struct master_service **list)
{
	struct master_child *child;

	(void)m;
	while (*list != NULL) {
		struct master_service *svc = *list;

		*list = svc->next;
		for (child = m->children; child != NULL; child = child->next)
			if (child->svc == svc)
				child->svc = NULL;
		services_free_one(&svc);
	}
}

/* services_same_listener - whether old can hand its socket to entry e */
static bool
services_same_listener(const struct master_service *old,
		       const struct service_entry *e, const char *desc)
{
	return old->listen_fd >= 0 && old->type == e->type &&
	       strcmp(old->name, e->name) == 0 &&
	       strcmp(old->listen_desc, desc) == 0;
}

/* services_take_listener - move a matching listener from the old list */
static bool
services_take_listener(struct master *m, struct master_service *svc,
		       const struct service_entry *e)
{
	struct master_service *old;
	char *desc;
	bool taken = false;

	if (e->type == SERVICE_TYPE_INET)
		desc = mem_asprintf("%s:%s", e->host && e->host[0] ? e->host
								  : "*",
				    e->port);
	else
		desc = mem_asprintf("%s/%s/%s", param_queue_directory,
				    e->is_private ? "private" : "public",
				    e->name);
	for (old = m->services; old != NULL; old = old->next) {
		if (!services_same_listener(old, e, desc))
			continue;
		/* Shared until the new generation is complete: see
		 * services_commit and services_rollback. */
		svc->listen_fd = old->listen_fd;
		svc->unix_path = old->unix_path;
		svc->listen_desc = desc;
		svc->taken_from = old;
		taken = true;
		break;
	}
	if (!taken)
		mem_free(&desc);
	return taken;
}

/* services_commit - the new generation owns the listeners it took */
static void
services_commit(struct master_service *list)
{
	for (; list != NULL; list = list->next) {
		if (list->taken_from == NULL)
			continue;
		list->taken_from->listen_fd = -1;
		list->taken_from->unix_path = NULL;
		list->taken_from = NULL;
	}
}

/* services_rollback - drop a failed generation, leaving shared listeners */
static void
services_rollback(struct master *m, struct master_service **list)
{
	struct master_service *svc;

	for (svc = *list; svc != NULL; svc = svc->next) {
		if (svc->taken_from == NULL)
			continue;
		svc->listen_fd = -1;
		svc->unix_path = NULL;
	}
	master_services_free(m, list);
}

/* services_new - one service from one master.cf entry */
static struct master_service *
services_new(const struct service_entry *e)
{
	struct master_service *svc = mem_alloc(sizeof(*svc));
	size_t i;

	svc->listen_fd = -1;
	svc->name = mem_strdup(e->name);
	svc->command = mem_strdup(e->command);
	svc->type = e->type;
	svc->unpriv = e->is_unpriv;
	svc->procs_wanted = e->maxproc > 0 ? e->maxproc
					   : services_default_procs(e->type);
	if (svc->procs_wanted > MASTER_MAX_PROCS)
		svc->procs_wanted = MASTER_MAX_PROCS;
	svc->argv = mem_alloc_array((size_t)e->argc + 1, sizeof(char *));
	for (i = 0; i < (size_t)e->argc; i++)
		svc->argv[i] = mem_strdup(e->argv[i]);
	return svc;
}

/* master_services_load - build the new generation from master.cf */
int
master_services_load(struct master *m, const char **error_r)
{
	static char error[512];
	struct service_table *table = NULL;
	struct master_service *list = NULL, **tail = &list;
	char *path = mem_asprintf("%s/master.cf", m->config_dir);
	size_t i;

	if (service_table_load(path, &table, error_r) < 0) {
		mem_free(&path);
		return -1;
	}
	for (i = 0; i < table->count; i++) {
		const struct service_entry *e = &table->entries[i];
		struct master_service *svc = services_new(e);
		char *prog = mem_asprintf("%s/%s", param_daemon_directory,
					  e->command);
		const char *lerr;

		if (access(prog, X_OK) < 0) {
			log_warn("%s, line %d: service %s: %s: %m -- not "
				 "started",
				 path, e->line, e->name, prog);
			svc->disabled = true;
		}
		mem_free(&prog);
		if (!services_take_listener(m, svc, e) &&
		    master_listen_open(m, svc, e, &lerr) < 0) {
			snprintf(error, sizeof(error),
				 "%s, line %d: service %s: %s", path, e->line,
				 e->name, lerr);
			*error_r = error;
			*tail = svc;
			services_rollback(m, &list);
			service_table_free(&table);
			mem_free(&path);
			return -1;
		}
		*tail = svc;
		tail = &svc->next;
	}
	service_table_free(&table);
	mem_free(&path);
	services_commit(list);
	/* The old generation drains; its children keep running unowned. */
	master_services_free(m, &m->services);
	m->services = list;
	return 0;
}
