/* test_vhostuser.c — the vhostuser port's sockets and options
 * (src/port/vhostuser.c), without a front end: options are checked, a
 * server replaces a stale socket file but never one another process serves
 * and removes its own on close, a client waits with its carrier down, and
 * the status says which. The protocol and the rings have their own tests
 * (test_vhost_message.c, test_virtio_ring.c); testpmd drives the whole port
 * in tests/e2e/test_vhostuser.py. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "helpers.h"
#include "port/port.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vhostuser-test-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

static const char *path_in_dir(const char *name)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static struct port *open_port(const char *name, const char *o1, const char *o2, char *err)
{
	const char *options[3] = {o1, o2, NULL};
	return port_create(name, "vhostuser", options, err, 256);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void test_bad_options_are_refused(void **state)
{
	(void)state;
	char err[256];
	const char *bad[] = {"queues=0",  "queues=9",	     "queues=two",
			     "mode=peer", "socket=rel.sock", "sockets=/x"};
	int fd = -1;
	if (fcntl(0, F_GETFD) < 0)
		fd = open("/dev/null", O_RDONLY); /* fd 0, so closing it would show */
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_null(open_port("vu", bad[i], NULL, err));
		assert_true(strstr(err, "port vu") != NULL);
	}
	/* A failed open closes nothing it did not open (fd 0 included). */
	assert_true(fcntl(0, F_GETFD) >= 0);
	if (fd >= 0)
		close(fd);
}

static void test_server_replaces_a_stale_socket_and_refuses_a_live_one(void **state)
{
	(void)state;
	char err[256], option[160];
	const char *path = path_in_dir("a.sock");
	int stale = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	assert_int_equal(bind(stale, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(stale); /* the file stays, nobody listens: a dead daemon's */
	snprintf(option, sizeof(option), "socket=%s", path);
	struct port *a = open_port("vua", option, NULL, err);
	assert_non_null(a);
	assert_false(a->class->carrier(a));
	assert_true(a->class->wait_fd(a) >= 0);
	assert_null(open_port("vub", option, NULL, err));
	assert_true(strstr(err, "served by another process") != NULL);
	struct port_status st = {0};
	assert_int_equal(a->class->status(a, &st), 0);
	assert_true(strstr(st.text, "listening") != NULL);
	port_destroy(a);
	assert_false(exists(path));
}

static void test_socket_file_that_is_not_a_socket_is_left_alone(void **state)
{
	(void)state;
	char err[256], option[160];
	const char *path = path_in_dir("file");
	close(open(path, O_CREAT | O_WRONLY, 0600));
	snprintf(option, sizeof(option), "socket=%s", path);
	assert_null(open_port("vuf", option, NULL, err));
	assert_true(strstr(err, "not a socket") != NULL);
	assert_true(exists(path));
	unlink(path);
}

static void test_client_waits_for_its_front_end_with_carrier_down(void **state)
{
	(void)state;
	char err[256], option[160];
	snprintf(option, sizeof(option), "socket=%s", path_in_dir("absent.sock"));
	struct port *c = open_port("vuc", option, "mode=client", err);
	assert_non_null(c);
	assert_false(c->class->carrier(c));
	struct port_status st = {0};
	assert_int_equal(c->class->status(c, &st), 0);
	assert_true(strstr(st.text, "client") && strstr(st.text, "connecting"));
	port_destroy(c);
}

static void test_default_socket_is_under_run_vswitch(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char err[256], name[32], path[64];
	snprintf(name, sizeof(name), "vut%d", (int)getpid());
	snprintf(path, sizeof(path), "/run/vswitch/%s.sock", name);
	struct port *p = open_port(name, "queues=8", NULL, err);
	assert_non_null(p);
	assert_true(exists(path));
	char ifs[4][PORT_IFNAME_MAX];
	assert_int_equal(p->class->interfaces(name, NULL, ifs, 4), 1);
	assert_string_equal(ifs[0], path);
	port_destroy(p);
	assert_false(exists(path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_options_are_refused),
	    cmocka_unit_test(test_server_replaces_a_stale_socket_and_refuses_a_live_one),
	    cmocka_unit_test(test_socket_file_that_is_not_a_socket_is_left_alone),
	    cmocka_unit_test(test_client_waits_for_its_front_end_with_carrier_down),
	    cmocka_unit_test(test_default_socket_is_under_run_vswitch),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
