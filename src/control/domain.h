/* domain.h — this host in a distributed switch's etcd domain (DESIGN §7,
 * docs/distributed.md): the glue between the host agent (cluster/agent.h),
 * which keeps a copy of the domain's keys up to date, and the model. The
 * domain's profiles become profiles of the model marked `domain`, and its
 * bindings for this host bind the named local ports (marked `domain`), all
 * through the model's all-or-nothing path: a change the model refuses is
 * logged and shown in `domain show`, never half-applied. While the domain is
 * on, the profile and binding commands are written to etcd instead of the
 * model (domain_commands.c), and come back by the watch like any change.
 * Everything here runs on the control thread. */
#ifndef VSWITCH_DOMAIN_H
#define VSWITCH_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/agent.h"
#include "cluster/domain_kvs.h"
#include "cluster/domain_schema.h"
#include "execute.h"

/* How long a domain command waits for its change to come back by the
 * watch and apply here. */
#define DOMAIN_WAIT_MS 5000

struct domain_options {
	const char *domain;	    /* --domain NAME */
	const char *endpoints;	    /* --etcd URL[,URL...] */
	const char *host;	    /* --host NAME, NULL: the hostname */
	const char *ca_file;	    /* --etcd-ca */
	const char *cert_file;	    /* --etcd-cert */
	const char *key_file;	    /* --etcd-key */
	const char *user;	    /* --etcd-user */
	const char *password_file;  /* --etcd-password-file: its first line */
	const char *cache_path;	    /* --domain-cache, NULL: next to the startup file */
	unsigned mac_grace_seconds; /* --mac-grace, 0: the default */
};

/* A binding this host holds but cannot apply (no such local port, or on
 * another switch). */
struct domain_pending {
	char port[DOMAIN_NAME_MAX];
	char reason[128];
};

struct domain {
	char name[DOMAIN_NAME_MAX];
	char host[DOMAIN_NAME_MAX];
	char endpoints[512];
	char cache_path[4096];
	struct control_state *state;
	struct agent *agent;
	struct etcd_client *client; /* the control thread's own, for commands */
	struct domain_kvs kvs;	    /* the keys as the agent handed them */
	bool booting;		    /* from the cache, before the first full read */
	int64_t applied_revision;   /* of the last change applied (or refused) */
	int64_t started;
	char apply_error[512]; /* the last change the model refused, "" none */
	int64_t apply_error_revision;
	struct domain_pending *pending;
	size_t n_pending;
	char registered_ports[4096]; /* the port list last put in hosts/HOST */
	char *cached;		     /* the keys last written to the cache */
	char vtep[64];		     /* hosts/HOST's "vtep", "" none (domain_set_vtep) */
	struct domain_overlay *overlay; /* domain_overlay.c, NULL until its first update */
	/* What the watch brought (`domain show`, make bench-domain): key
	 * events, full reads, and the model worked out again. */
	uint64_t n_events, n_reads, n_applies;
	struct domain_move *move; /* VM moves and carried counters (domain_move.h) */
};

/* Reads the cache (if any) and applies its bindings restricted to their
 * system VLANs, then starts the agent. NULL with err set on bad options. */
struct domain *domain_open(const struct domain_options *options, struct control_state *state,
			   char *err, size_t err_size);
/* Stops the agent (revoking the lease). NULL is a no-op. */
void domain_close(struct domain *d);
/* The agent's eventfd and what to run when it is readable (server.h). */
int domain_event_fd(const struct domain *d);
void domain_event(void *domain);
/* control_handle() with the domain's commands in front (server.h's
 * handler shape; `state` is the struct control_state). */
int domain_handle(void *state, int argc, char **argv, bool json, char **output, size_t *output_len,
		  char *err, size_t err_size);

/* ---- domain.c, for domain_commands.c ------------------------------------ */

/* The model the running one becomes with the domain's view: the domain's
 * profiles in place of the domain ones (and of local ones of their names),
 * this host's bindings on their ports (d->pending lists those it cannot
 * apply), all resolved, and while d->booting bound ports restricted to
 * their system VLANs. 0 with *out (the caller's), or -errno with err set. */
int domain_model(struct domain *d, const struct config *running, const struct domain_view *view,
		 struct config **out, char *err, size_t err_size);
/* This host's VXLAN tunnel end point address, as the vxlan port knows it:
 * put in hosts/HOST for the other hosts' head-end replication. */
void domain_set_vtep(struct domain *d, const char *address);
/* Puts hosts/HOST again (its overlay fields changed). */
void domain_register_again(struct domain *d);
/* Takes the agent's waiting changes and applies them. */
void domain_process(struct domain *d);
/* Waits until a change at `revision` applied here (or the timeout);
 * returns 0, or -ETIMEDOUT / the refusal with err set. */
int domain_wait_applied(struct domain *d, int64_t revision, unsigned timeout_ms, char *err,
			size_t err_size);
/* 0, or -EAGAIN with the operator's message when the domain cannot take
 * changes now (headless or connecting). */
int domain_check_online(struct domain *d, char *err, size_t err_size);

/* ---- domain_commands.c --------------------------------------------------- */

/* Runs argv if it is a domain command (domain show, host show, mac
 * allocate) or an edit that goes to etcd while the domain is on (profile
 * add|set|unset|del, port bind|unbind|unset). Returns 1 when argv is not
 * one (the caller runs it), else 0 or -errno with err set. d may be NULL
 * (no domain): domain commands then say so. */
int domain_command(struct domain *d, int argc, char **argv, bool json, FILE *out, char *err,
		   size_t err_size);

/* ---- domain_overlay.c: the VXLAN overlay (docs/distributed.md "Overlay") -- */

struct cJSON;
/* Works out what this host publishes and each local vxlan port's flood
 * lists and static remote MACs from the running model and the hosts/ keys,
 * and installs what changed (poll threads paused only then). */
void domain_overlay_update(struct domain *d);
/* hosts/HOST's value: domain_host_encode() plus the overlay's fields. */
char *domain_overlay_host_value(struct domain *d, const struct domain_host *h);
void domain_overlay_free(struct domain *d);
/* domain show's overlay part: into json when not NULL, else text to out. */
void domain_overlay_show(const struct domain *d, struct cJSON *json, FILE *out);

#endif
