/* test_etcd.c — the etcd client (src/cluster/etcd.c) against a real etcd
 * 3.4, started here (fork/exec on free loopback ports, a temporary data
 * directory, killed by PID): keys, prefixes, transactions both ways, leases
 * that expire or are kept alive or revoked, a watch that sees puts and
 * deletes in order and -ERANGE after a compaction, a watch ended by *stop
 * and one broken by etcd's death, failover past a dead endpoint, and
 * authentication (right password, wrong one, a token that expires), and
 * TLS with a client certificate (made here with the openssl command).
 * Skipped, saying so, when /usr/bin/etcd is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster/etcd.h"

#define ETCD	"/usr/bin/etcd"
#define ETCDCTL "/usr/bin/etcdctl"

#define OPENSSL "/usr/bin/openssl"

struct etcd_proc {
	pid_t pid;
	char dir[64];
	char url[64];
	const char *tls; /* a directory with ca.pem, server.pem/.key, client.pem/.key */
};

static char err[1024];
static struct etcd_proc shared;	      /* for most tests, all the run */
static struct etcd_proc private_etcd; /* a test's own, stopped by private_teardown */
static char tls_dir[64];	      /* the TLS test's certificates */

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
	nanosleep(&ts, NULL);
}

static char tls_files[3][128];

/* The CA and client files of a TLS directory (static: one at a time). */
static void tls_options(struct etcd_client_options *o, const char *tls)
{
	static const char *const names[] = {"ca.pem", "client.pem", "client.key"};
	for (int i = 0; i < 3; i++)
		snprintf(tls_files[i], sizeof(tls_files[i]), "%s/%s", tls, names[i]);
	o->ca_file = tls_files[0];
	o->cert_file = tls_files[1];
	o->key_file = tls_files[2];
}

static struct etcd_client *client_for_tls(const char *endpoints, const char *user,
					  const char *password, const char *tls)
{
	struct etcd_client_options o = {
	    .endpoints = endpoints, .user = user, .password = password, .timeout_ms = 1000};
	if (tls)
		tls_options(&o, tls);
	struct etcd_client *c = etcd_client_create(&o, err, sizeof(err));
	if (!c)
		fail_msg("etcd_client_create: %s", err);
	return c;
}

static struct etcd_client *client_for(const char *endpoints, const char *user, const char *password)
{
	return client_for_tls(endpoints, user, password, NULL);
}

static void etcd_kill(struct etcd_proc *p);

/* Starts etcd with extra arguments (NULL-terminated) and waits until it
 * answers a read. */
static void etcd_start(struct etcd_proc *p, const char *const *extra)
{
	strcpy(p->dir, "/tmp/vswitch-test-etcd-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	int client_port = free_port(), peer_port = free_port();
	char peer[64], cluster[80], data[96], log[96];
	snprintf(p->url, sizeof(p->url), "%s://127.0.0.1:%d", p->tls ? "https" : "http",
		 client_port);
	snprintf(peer, sizeof(peer), "http://127.0.0.1:%d", peer_port);
	snprintf(cluster, sizeof(cluster), "t=%s", peer);
	snprintf(data, sizeof(data), "%s/data", p->dir);
	snprintf(log, sizeof(log), "%s/log", p->dir);
	const char *argv[32] = {ETCD,	 "--name",
				"t",	 "--data-dir",
				data,	 "--listen-client-urls",
				p->url,	 "--advertise-client-urls",
				p->url,	 "--listen-peer-urls",
				peer,	 "--initial-advertise-peer-urls",
				peer,	 "--initial-cluster",
				cluster, "--heartbeat-interval",
				"50",	 "--election-timeout",
				"500"};
	size_t n = 19;
	for (size_t i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	char tls_args[3][128];
	if (p->tls) {
		static const char *const flags[] = {"--cert-file", "--key-file",
						    "--trusted-ca-file"};
		static const char *const names[] = {"server.pem", "server.key", "ca.pem"};
		for (int i = 0; i < 3; i++) {
			snprintf(tls_args[i], sizeof(tls_args[i]), "%s/%s", p->tls, names[i]);
			argv[n++] = flags[i];
			argv[n++] = tls_args[i];
		}
		argv[n++] = "--client-cert-auth";
	}
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		FILE *f = fopen(log, "w");
		if (f) {
			dup2(fileno(f), 1);
			dup2(fileno(f), 2);
		}
		execv(ETCD, (char *const *)argv);
		_exit(127);
	}
	struct etcd_client *c = client_for_tls(p->url, NULL, NULL, p->tls);
	struct etcd_result r;
	for (int i = 0; i < 200; i++) {
		if (etcd_get(c, "/", false, &r, err, sizeof(err)) == 0) {
			etcd_result_free(&r);
			etcd_client_destroy(c);
			return;
		}
		sleep_ms(50);
	}
	etcd_client_destroy(c);
	etcd_kill(p);
	fail_msg("etcd did not come up on %s: %s (log in %s)", p->url, err, log);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void etcd_kill(struct etcd_proc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
}

static void etcd_stop(struct etcd_proc *p)
{
	etcd_kill(p);
	if (p->dir[0])
		nftw(p->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	p->dir[0] = '\0';
}

static int have_etcd(void)
{
	return access(ETCD, X_OK) == 0;
}

static int group_setup(void **state)
{
	(void)state;
	if (have_etcd())
		etcd_start(&shared, NULL);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	etcd_stop(&shared);
	return 0;
}

/* Also when the test failed half-way: its etcd and certificates go. */
static int private_teardown(void **state)
{
	(void)state;
	etcd_stop(&private_etcd);
	memset(&private_etcd, 0, sizeof(private_etcd));
	if (tls_dir[0])
		nftw(tls_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	tls_dir[0] = '\0';
	return 0;
}

static int client_setup(void **state)
{
	if (!have_etcd()) {
		*state = NULL;
		return 0;
	}
	*state = client_for(shared.url, NULL, NULL);
	return 0;
}

static int client_teardown(void **state)
{
	etcd_client_destroy(*state);
	return 0;
}

#define NEED_ETCD()                                                                                \
	do {                                                                                       \
		if (!have_etcd()) {                                                                \
			print_message("skipped: " ETCD " is missing (Debian etcd-server)\n");      \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static void put(struct etcd_client *c, const char *key, const char *value, int64_t lease,
		int64_t *revision)
{
	if (etcd_put(c, key, value, strlen(value), lease, revision, err, sizeof(err)) != 0)
		fail_msg("put %s: %s", key, err);
}

/* The value of key, or NULL when absent (malloc'd). */
static char *get(struct etcd_client *c, const char *key)
{
	struct etcd_result r;
	if (etcd_get(c, key, false, &r, err, sizeof(err)) != 0)
		fail_msg("get %s: %s", key, err);
	char *value = r.n ? strdup(r.kvs[0].value) : NULL;
	etcd_result_free(&r);
	return value;
}

static void assert_value(struct etcd_client *c, const char *key, const char *want)
{
	char *got = get(c, key);
	if (want) {
		assert_non_null(got);
		assert_string_equal(got, want);
	} else {
		assert_null(got);
	}
	free(got);
}

static void test_put_get_prefix_delete(void **state)
{
	NEED_ETCD();
	struct etcd_client *c = *state;
	int64_t rev1 = 0, rev2 = 0, deleted = 0;
	put(c, "/kv/b", "2", 0, &rev1);
	put(c, "/kv/a", "1", 0, &rev2);
	assert_int_equal(rev2, rev1 + 1);
	assert_int_equal(etcd_put(c, "/kv/bin", "x\0y", 3, 0, NULL, err, sizeof(err)), 0);
	put(c, "/kw", "outside", 0, NULL);
	assert_value(c, "/kv/a", "1");
	assert_value(c, "/kv/none", NULL);
	assert_string_equal(etcd_client_endpoint(c), shared.url);

	struct etcd_result r;
	assert_int_equal(etcd_get(c, "/kv/", true, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.kvs[0].key, "/kv/a");
	assert_string_equal(r.kvs[1].key, "/kv/b");
	assert_int_equal(r.kvs[1].mod_revision, rev1);
	assert_int_equal(r.kvs[2].value_len, 3);
	assert_memory_equal(r.kvs[2].value, "x\0y", 3);
	assert_true(r.revision >= rev2 + 2);
	etcd_result_free(&r);

	assert_int_equal(etcd_delete(c, "/kv/a", false, &deleted, err, sizeof(err)), 0);
	assert_int_equal(deleted, 1);
	assert_value(c, "/kv/a", NULL);
	assert_int_equal(etcd_delete(c, "/kv/", true, &deleted, err, sizeof(err)), 0);
	assert_int_equal(deleted, 2);
	assert_value(c, "/kw", "outside");
}

static int create_if_absent(struct etcd_client *c, const char *key, const char *value,
			    bool *succeeded)
{
	struct etcd_compare cmp = {
	    .key = key, .target = ETCD_COMPARE_CREATE_REVISION, .result = ETCD_EQUAL, .number = 0};
	struct etcd_op op = {.type = ETCD_OP_PUT, .key = key, .value = value};
	struct etcd_op other = {.type = ETCD_OP_PUT, .key = "/txn/lost", .value = value};
	return etcd_txn(c, &cmp, 1, &op, 1, &other, 1, succeeded, NULL, err, sizeof(err));
}

static void test_txn_takes_both_branches(void **state)
{
	NEED_ETCD();
	struct etcd_client *c = *state;
	bool ok = false;
	int64_t rev = 0;
	assert_int_equal(create_if_absent(c, "/txn/owner", "first", &ok), 0);
	assert_true(ok);
	assert_int_equal(create_if_absent(c, "/txn/owner", "second", &ok), 0);
	assert_false(ok);
	assert_value(c, "/txn/owner", "first");
	assert_value(c, "/txn/lost", "second");
	/* A value compare and a prefix delete in the success branch. */
	struct etcd_compare cmp = {.key = "/txn/owner",
				   .target = ETCD_COMPARE_VALUE,
				   .result = ETCD_EQUAL,
				   .value = "first"};
	struct etcd_op del = {.type = ETCD_OP_DELETE, .key = "/txn/", .prefix = true};
	assert_int_equal(etcd_txn(c, &cmp, 1, &del, 1, NULL, 0, &ok, &rev, err, sizeof(err)), 0);
	assert_true(ok);
	assert_true(rev > 0);
	assert_value(c, "/txn/owner", NULL);
	assert_value(c, "/txn/lost", NULL);
}

static void test_leases_expire_stay_alive_and_revoke(void **state)
{
	NEED_ETCD();
	struct etcd_client *c = *state;
	int64_t dying, living, ttl = 0;
	assert_int_equal(etcd_lease_grant(c, 1, &dying, err, sizeof(err)), 0);
	assert_int_equal(etcd_lease_grant(c, 1, &living, err, sizeof(err)), 0);
	put(c, "/lease/dying", "x", dying, NULL);
	put(c, "/lease/living", "y", living, NULL);
	struct etcd_result r;
	assert_int_equal(etcd_get(c, "/lease/dying", false, &r, err, sizeof(err)), 0);
	assert_int_equal(r.kvs[0].lease, dying);
	etcd_result_free(&r);
	for (int i = 0; i < 10; i++) { /* 2.5 s: past the 1 s TTL and etcd's minimum */
		sleep_ms(250);
		assert_int_equal(etcd_lease_keepalive(c, living, &ttl, err, sizeof(err)), 0);
		assert_true(ttl >= 1);
	}
	assert_value(c, "/lease/dying", NULL);
	assert_value(c, "/lease/living", "y");
	assert_int_equal(etcd_lease_keepalive(c, dying, &ttl, err, sizeof(err)), -ENOENT);
	assert_int_equal(etcd_lease_revoke(c, living, err, sizeof(err)), 0);
	assert_value(c, "/lease/living", NULL);
	assert_int_equal(etcd_lease_revoke(c, living, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "lease not found"));
}

struct seen {
	struct etcd_event events[8];
	char keys[8][32];
	int64_t revisions[8];
	size_t n;
	size_t want;
};

static int collect(void *arg, const struct etcd_event *events, size_t n, int64_t revision)
{
	struct seen *s = arg;
	for (size_t i = 0; i < n && s->n < 8; i++) {
		s->events[s->n] = events[i];
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", events[i].kv.key);
		s->events[s->n].kv.key = s->keys[s->n];
		s->events[s->n].kv.value = NULL;
		s->revisions[s->n++] = revision;
	}
	return s->n >= s->want ? 7 : 0;
}

static void test_watch_sees_puts_and_deletes_in_order_then_erange(void **state)
{
	NEED_ETCD();
	struct etcd_client *c = *state;
	int64_t first, last;
	put(c, "/watch/a", "1", 0, &first);
	put(c, "/other", "not watched", 0, NULL);
	put(c, "/watch/b", "2", 0, NULL);
	assert_int_equal(etcd_delete(c, "/watch/a", false, NULL, err, sizeof(err)), 0);
	put(c, "/watch/c", "3", 0, &last);
	struct seen s = {.want = 4};
	assert_int_equal(etcd_watch(c, "/watch/", first, collect, &s, NULL, err, sizeof(err)), 7);
	assert_int_equal(s.n, 4);
	const char *keys[] = {"/watch/a", "/watch/b", "/watch/a", "/watch/c"};
	enum etcd_event_type types[] = {ETCD_EVENT_PUT, ETCD_EVENT_PUT, ETCD_EVENT_DELETE,
					ETCD_EVENT_PUT};
	int64_t revs[] = {first, first + 2, first + 3, last};
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(s.keys[i], keys[i]);
		assert_int_equal(s.events[i].type, types[i]);
		assert_int_equal(s.events[i].kv.mod_revision, revs[i]);
		assert_true(s.revisions[i] >= revs[i]);
	}
	/* The client still works after a watch on the same handle. */
	assert_value(c, "/watch/c", "3");
	assert_int_equal(etcd_compact(c, last, err, sizeof(err)), 0);
	s.n = 0;
	assert_int_equal(etcd_watch(c, "/watch/", first, collect, &s, NULL, err, sizeof(err)),
			 -ERANGE);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(err, "compacted"));
}

struct later {
	atomic_bool *flag;
	struct etcd_proc *kill;
	long ms;
};

static void *set_later(void *arg)
{
	struct later *l = arg;
	sleep_ms(l->ms);
	if (l->flag)
		*l->flag = true;
	if (l->kill)
		etcd_kill(l->kill);
	return NULL;
}

static void test_watch_ends_on_stop(void **state)
{
	NEED_ETCD();
	struct etcd_client *c = *state;
	atomic_bool stop = false;
	struct later l = {.flag = &stop, .ms = 300};
	pthread_t t;
	struct seen s = {.want = 100};
	assert_int_equal(pthread_create(&t, NULL, set_later, &l), 0);
	/* Nothing arrives: only *stop can end this watch. */
	assert_int_equal(etcd_watch(c, "/quiet/", 0, collect, &s, &stop, err, sizeof(err)), 0);
	pthread_join(t, NULL);
	assert_int_equal(s.n, 0);
}

static void test_broken_watch_is_reported(void **state)
{
	NEED_ETCD();
	(void)state;
	struct etcd_proc *p = &private_etcd;
	etcd_start(p, NULL);
	struct etcd_client *c = client_for(p->url, NULL, NULL);
	struct later l = {.kill = p, .ms = 300};
	pthread_t t;
	struct seen s = {.want = 100};
	assert_int_equal(pthread_create(&t, NULL, set_later, &l), 0);
	int rc = etcd_watch(c, "/x/", 0, collect, &s, NULL, err, sizeof(err));
	pthread_join(t, NULL);
	assert_int_equal(rc, -ECONNRESET);
	assert_non_null(strstr(err, p->url));
	assert_non_null(strstr(err, "resume"));
	/* etcd is gone: the next call names the endpoint that failed. */
	struct etcd_result r;
	assert_int_equal(etcd_get(c, "/x", false, &r, err, sizeof(err)), -ECONNREFUSED);
	assert_non_null(strstr(err, p->url));
	etcd_client_destroy(c);
}

static void test_failover_past_a_dead_endpoint(void **state)
{
	NEED_ETCD();
	(void)state;
	char endpoints[160], dead[64];
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", free_port());
	snprintf(endpoints, sizeof(endpoints), "%s,%s", dead, shared.url);
	struct etcd_client *c = client_for(endpoints, NULL, NULL);
	assert_string_equal(etcd_client_endpoint(c), "");
	put(c, "/failover", "ok", 0, NULL);
	assert_string_equal(etcd_client_endpoint(c), shared.url);
	assert_value(c, "/failover", "ok");
	etcd_client_destroy(c);

	/* None alive: both named, -ECONNREFUSED. */
	char dead2[64];
	snprintf(dead2, sizeof(dead2), "http://127.0.0.1:%d/", free_port());
	snprintf(endpoints, sizeof(endpoints), "%s,%s", dead, dead2);
	c = client_for(endpoints, NULL, NULL);
	struct etcd_result r;
	assert_int_equal(etcd_get(c, "/failover", false, &r, err, sizeof(err)), -ECONNREFUSED);
	assert_non_null(strstr(err, dead));
	dead2[strlen(dead2) - 1] = '\0';
	assert_non_null(strstr(err, dead2));
	etcd_client_destroy(c);
}

/* Runs a program (argv NULL-terminated) with its output to /dev/null;
 * fails the test unless it exits 0. */
static void run(const char *const *argv)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s %s %s failed", argv[0], argv[1], argv[2] ? argv[2] : "");
}

/* Runs etcdctl with up to 4 arguments (NULL-terminated) against url. */
static void etcdctl(const char *url, const char *a, const char *b, const char *c, const char *d)
{
	const char *argv[] = {ETCDCTL, "--endpoints", url, a, b, c, d, NULL};
	run(argv);
}

static void test_auth_right_and_wrong_password_and_token_expiry(void **state)
{
	NEED_ETCD();
	(void)state;
	struct etcd_proc *p = &private_etcd;
	/* Simple tokens live 1 s: the client must take a new one. */
	const char *extra[] = {"--auth-token-ttl", "1", NULL};
	etcd_start(p, extra);
	etcdctl(p->url, "user", "add", "root:secret", NULL);
	etcdctl(p->url, "role", "add", "root", NULL);
	etcdctl(p->url, "user", "grant-role", "root", "root");
	etcdctl(p->url, "auth", "enable", NULL, NULL);

	struct etcd_client *c = client_for(p->url, "root", "secret");
	put(c, "/auth/k", "v", 0, NULL);
	assert_value(c, "/auth/k", "v");
	sleep_ms(2500);
	assert_value(c, "/auth/k", "v"); /* the token expired: taken again */
	etcd_client_destroy(c);

	struct etcd_result r;
	c = client_for(p->url, "root", "wrong");
	assert_int_equal(etcd_get(c, "/auth/k", false, &r, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "authentication failed"));
	assert_int_equal(etcd_watch(c, "/auth/", 0, collect, NULL, NULL, err, sizeof(err)),
			 -EACCES);
	etcd_client_destroy(c);

	c = client_for(p->url, NULL, NULL);
	assert_int_equal(etcd_get(c, "/auth/k", false, &r, err, sizeof(err)), -EACCES);
	etcd_client_destroy(c);
}

/* A CA, a server certificate for 127.0.0.1 and a client certificate, made
 * with the openssl command into dir. */
static void make_certificates(const char *dir)
{
	char ca[96], ca_key[96], key[96], pem[96], subject[32];
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(ca_key, sizeof(ca_key), "%s/ca.key", dir);
	const char *ca_argv[] = {OPENSSL,
				 "req",
				 "-x509",
				 "-newkey",
				 "ec",
				 "-pkeyopt",
				 "ec_paramgen_curve:prime256v1",
				 "-nodes",
				 "-days",
				 "1",
				 "-subj",
				 "/CN=vswitch-test-ca",
				 "-keyout",
				 ca_key,
				 "-out",
				 ca,
				 NULL};
	run(ca_argv);
	static const char *const who[] = {"server", "client"};
	for (int i = 0; i < 2; i++) {
		snprintf(key, sizeof(key), "%s/%s.key", dir, who[i]);
		snprintf(pem, sizeof(pem), "%s/%s.pem", dir, who[i]);
		snprintf(subject, sizeof(subject), "/CN=%s", i == 0 ? "127.0.0.1" : "vswitch");
		const char *argv[] = {OPENSSL,
				      "req",
				      "-x509",
				      "-newkey",
				      "ec",
				      "-pkeyopt",
				      "ec_paramgen_curve:prime256v1",
				      "-nodes",
				      "-days",
				      "1",
				      "-subj",
				      subject,
				      "-CA",
				      ca,
				      "-CAkey",
				      ca_key,
				      "-addext",
				      "subjectAltName=IP:127.0.0.1",
				      "-keyout",
				      key,
				      "-out",
				      pem,
				      NULL};
		run(argv);
	}
}

static void test_tls_with_client_certificate(void **state)
{
	NEED_ETCD();
	(void)state;
	if (access(OPENSSL, X_OK) != 0)
		skip();
	strcpy(tls_dir, "/tmp/vswitch-test-tls-XXXXXX");
	assert_non_null(mkdtemp(tls_dir));
	const char *dir = tls_dir;
	make_certificates(dir);
	struct etcd_proc *p = &private_etcd;
	p->tls = dir;
	etcd_start(p, NULL);
	struct etcd_client *c = client_for_tls(p->url, NULL, NULL, dir);
	put(c, "/tls/k", "v", 0, NULL);
	assert_value(c, "/tls/k", "v");
	etcd_client_destroy(c);

	/* The server is not trusted without the CA. */
	struct etcd_result r;
	char ca_only[128];
	snprintf(ca_only, sizeof(ca_only), "%s/ca.pem", dir);
	struct etcd_client_options o = {.endpoints = p->url, .timeout_ms = 1000};
	c = etcd_client_create(&o, err, sizeof(err));
	assert_int_equal(etcd_get(c, "/tls/k", false, &r, err, sizeof(err)), -ECONNREFUSED);
	assert_non_null(strstr(err, p->url));
	etcd_client_destroy(c);
	/* etcd's --client-cert-auth refuses a client without a certificate. */
	o.ca_file = ca_only;
	c = etcd_client_create(&o, err, sizeof(err));
	assert_true(etcd_get(c, "/tls/k", false, &r, err, sizeof(err)) < 0);
	etcd_client_destroy(c);
}

static void test_options_are_checked_before_connecting(void **state)
{
	(void)state;
	char long_url[420] = "http://";
	memset(long_url + 7, 'a', 405);
	long_url[412] = '\0';
	struct {
		struct etcd_client_options o;
		const char *says;
	} bad[] = {
	    {{.endpoints = NULL}, "none given"},
	    {{.endpoints = ""}, "none given"},
	    {{.endpoints = "127.0.0.1:2379"}, "http://"},
	    {{.endpoints = "http://a:1,,http://b:2"}, "http://"},
	    {{.endpoints = "http://a,http://b,http://c,http://d,http://e,http://f,http://g,"
			   "http://h,http://i"},
	     "up to 8"},
	    {{.endpoints = "https://a:1", .ca_file = "/nonexistent/ca.pem"}, "/nonexistent/ca.pem"},
	    {{.endpoints = long_url}, "up to 400 characters"},
	    {{.endpoints = "https://a:1", .cert_file = "/etc/hostname"}, "needs its key"},
	    {{.endpoints = "https://a:1", .cert_file = "/etc/hostname", .key_file = "/nope/k"},
	     "/nope/k"},
	    {{.endpoints = "http://a:1", .user = "root"}, "password"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(etcd_client_create(&bad[i].o, err, sizeof(err)));
		if (!strstr(err, bad[i].says))
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err, bad[i].says);
	}
	struct etcd_client_options ok = {.endpoints = "https://a:1/",
					 .ca_file = "/etc/hostname",
					 .cert_file = "/etc/hostname",
					 .key_file = "/etc/hostname"};
	struct etcd_client *c = etcd_client_create(&ok, err, sizeof(err));
	assert_non_null(c);
	etcd_client_destroy(c);
	etcd_client_destroy(NULL);
}

int main(void)
{
	if (!have_etcd())
		printf("test_etcd: " ETCD " is missing (Debian etcd-server): the tests against "
		       "etcd are skipped\n");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_put_get_prefix_delete, client_setup,
					    client_teardown),
	    cmocka_unit_test_setup_teardown(test_txn_takes_both_branches, client_setup,
					    client_teardown),
	    cmocka_unit_test_setup_teardown(test_leases_expire_stay_alive_and_revoke, client_setup,
					    client_teardown),
	    cmocka_unit_test_setup_teardown(test_watch_sees_puts_and_deletes_in_order_then_erange,
					    client_setup, client_teardown),
	    cmocka_unit_test_setup_teardown(test_watch_ends_on_stop, client_setup, client_teardown),
	    cmocka_unit_test_teardown(test_broken_watch_is_reported, private_teardown),
	    cmocka_unit_test(test_failover_past_a_dead_endpoint),
	    cmocka_unit_test_teardown(test_auth_right_and_wrong_password_and_token_expiry,
				      private_teardown),
	    cmocka_unit_test_teardown(test_tls_with_client_certificate, private_teardown),
	    cmocka_unit_test(test_options_are_checked_before_connecting),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
