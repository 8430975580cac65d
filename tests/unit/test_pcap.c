/* test_pcap.c — the pcap port: what it reads from a capture file reaches the
 * switch in order and intact, what the switch sends is a capture that
 * libpcap and tcpdump read, and bad files and options fail with a message an
 * operator can act on. Files live in a fresh /tmp directory per test. */
#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/packet.h"
#include "port/port.h"

#define ETH_TYPE_TEST 0x88b5 /* IEEE local experimental */

struct fixture {
	char dir[64];
	struct packet_pool *pool;
	char err[256];
};

static const uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};

/* An Ethernet frame of `len` bytes whose payload identifies it by `seq`. */
static void make_frame(uint8_t *frame, uint32_t len, uint8_t seq)
{
	memcpy(frame, dst_mac, 6);
	memcpy(frame + 6, src_mac, 6);
	frame[12] = ETH_TYPE_TEST >> 8;
	frame[13] = ETH_TYPE_TEST & 0xff;
	for (uint32_t i = 14; i < len; i++)
		frame[i] = (uint8_t)(seq + i);
}

/* The clock the port stamps records with; time() may read a coarser one. */
static time_t wall_clock_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static void path_in(const struct fixture *f, const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", f->dir, name);
}

/* Writes a capture with one frame per entry of lens, made by make_frame with
 * seq = index, using libpcap itself so the port is checked against it. */
static void write_capture(const char *path, int link_type, const uint32_t *lens, size_t count)
{
	pcap_t *dead = pcap_open_dead(link_type, 65535);
	assert_non_null(dead);
	pcap_dumper_t *dumper = pcap_dump_open(dead, path);
	assert_non_null(dumper);
	for (size_t i = 0; i < count; i++) {
		uint8_t frame[65535];
		make_frame(frame, lens[i], (uint8_t)i);
		struct pcap_pkthdr header = {
		    .ts = {.tv_sec = 1000 + (long)i}, .caplen = lens[i], .len = lens[i]};
		pcap_dump((u_char *)dumper, &header, frame);
	}
	pcap_dump_close(dumper);
	pcap_close(dead);
}

static struct port *open_port(struct fixture *f, const char *const *options)
{
	f->err[0] = '\0';
	struct port *port = port_create("cap0", "pcap", options, f->err, sizeof(f->err));
	if (!port)
		print_error("port_create: %s\n", f->err);
	return port;
}

static void send_frame(struct port *port, struct packet_pool *pool, uint32_t len, uint8_t seq)
{
	uint8_t frame[2048];
	make_frame(frame, len, seq);
	struct packet_batch batch;
	packet_batch_init(&batch);
	struct packet *p = packet_from_bytes(pool, frame, len);
	assert_non_null(p);
	packet_batch_add(&batch, p);
	port->class->send(port, &batch);
	assert_int_equal(batch.count, 0);
}

static void assert_frame_is(const uint8_t *data, uint32_t len, uint32_t want_len, uint8_t seq)
{
	uint8_t want[2048];
	assert_int_equal(len, want_len);
	make_frame(want, want_len, seq);
	assert_memory_equal(data, want, want_len);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/vswitch-pcap-XXXXXX");
	f->pool = packet_pool_create(64, 0);
	if (!mkdtemp(f->dir) || !f->pool) {
		packet_pool_destroy(f->pool);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* Removes the files and the directory, and fails the test if a packet was
 * not returned to the pool: the port owns and frees what it is given. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	int result = 0;
	DIR *dir = opendir(f->dir);
	if (dir) {
		struct dirent *entry;
		while ((entry = readdir(dir))) {
			char path[512];
			if (entry->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", f->dir, entry->d_name);
			unlink(path);
		}
		closedir(dir);
	}
	if (rmdir(f->dir) < 0)
		result = -1;
	if (f->pool->available != f->pool->size) {
		print_error("%u of %u packets were not returned to the pool\n",
			    f->pool->size - f->pool->available, f->pool->size);
		result = -1;
	}
	packet_pool_destroy(f->pool);
	free(f);
	return result;
}

static void test_frames_sent_are_readable_by_libpcap(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "out.pcap", path, sizeof(path));
	snprintf(option, sizeof(option), "tx=%s", path);
	const char *options[] = {option, NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);

	time_t before = wall_clock_seconds();
	send_frame(port, f->pool, 60, 0);
	send_frame(port, f->pool, 1514, 1);
	send_frame(port, f->pool, 14, 2);
	assert_int_equal(port->stats.tx_packets, 3);
	assert_int_equal(port->stats.tx_bytes, 60 + 1514 + 14);
	assert_int_equal(port->stats.tx_errors, 0);

	/* Read while the port is still open: each batch must already be flushed. */
	char pcap_err[PCAP_ERRBUF_SIZE];
	pcap_t *rx = pcap_open_offline(path, pcap_err);
	assert_non_null(rx);
	assert_int_equal(pcap_datalink(rx), DLT_EN10MB);
	static const uint32_t lens[] = {60, 1514, 14};
	for (uint8_t i = 0; i < 3; i++) {
		struct pcap_pkthdr *header;
		const u_char *data;
		assert_int_equal(pcap_next_ex(rx, &header, &data), 1);
		assert_int_equal(header->caplen, header->len);
		assert_frame_is(data, header->caplen, lens[i], i);
		/* Stamped with the wall clock at send time. */
		assert_true(header->ts.tv_sec >= before &&
			    header->ts.tv_sec <= wall_clock_seconds());
	}
	struct pcap_pkthdr *header;
	const u_char *data;
	assert_int_equal(pcap_next_ex(rx, &header, &data), PCAP_ERROR_BREAK);
	pcap_close(rx);
	port_destroy(port);
}

static void test_tx_file_is_a_valid_capture_before_anything_is_sent(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "out.pcap", path, sizeof(path));
	snprintf(option, sizeof(option), "tx=%s", path);
	const char *options[] = {option, NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);

	char pcap_err[PCAP_ERRBUF_SIZE];
	pcap_t *rx = pcap_open_offline(path, pcap_err);
	if (!rx)
		fail_msg("libpcap cannot read the fresh tx file: %s", pcap_err);
	struct pcap_pkthdr *header;
	const u_char *data;
	assert_int_equal(pcap_next_ex(rx, &header, &data), PCAP_ERROR_BREAK);
	pcap_close(rx);
	port_destroy(port);
}

static void test_metadata_vlan_tag_is_written_inline(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "out.pcap", path, sizeof(path));
	snprintf(option, sizeof(option), "tx=%s", path);
	const char *options[] = {option, NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);

	uint8_t frame[64];
	make_frame(frame, sizeof(frame), 7);
	struct packet_batch batch;
	packet_batch_init(&batch);
	struct packet *p = packet_from_bytes(f->pool, frame, sizeof(frame));
	assert_non_null(p);
	p->flags |= PACKET_F_META_VLAN;
	p->meta_tci = (5 << 13) | 42; /* PCP 5, VID 42 */
	packet_batch_add(&batch, p);
	port->class->send(port, &batch);
	assert_int_equal(port->stats.tx_packets, 1);
	assert_int_equal(port->stats.tx_bytes, sizeof(frame) + 4);

	char pcap_err[PCAP_ERRBUF_SIZE];
	pcap_t *rx = pcap_open_offline(path, pcap_err);
	assert_non_null(rx);
	struct pcap_pkthdr *header;
	const u_char *data;
	assert_int_equal(pcap_next_ex(rx, &header, &data), 1);
	assert_int_equal(header->caplen, sizeof(frame) + 4);
	assert_int_equal(header->len, sizeof(frame) + 4);
	static const uint8_t tag[4] = {0x81, 0x00, 0xa0, 0x2a};
	assert_memory_equal(data, frame, 12);
	assert_memory_equal(data + 12, tag, 4);
	assert_memory_equal(data + 16, frame + 12, sizeof(frame) - 12);
	pcap_close(rx);
	port_destroy(port);
}

static void test_rx_file_frames_are_received_in_order(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "in.pcap", path, sizeof(path));
	static const uint32_t lens[] = {60, 1514, 100, 14, 61};
	write_capture(path, DLT_EN10MB, lens, 5);
	snprintf(option, sizeof(option), "rx=%s", path);
	const char *options[] = {option, NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);

	struct packet_batch batch;
	packet_batch_init(&batch);
	assert_int_equal(port->class->recv(port, f->pool, &batch), 5);
	assert_int_equal(batch.count, 5);
	for (uint8_t i = 0; i < 5; i++)
		assert_frame_is(batch.packets[i]->data, batch.packets[i]->len, lens[i], i);
	packet_batch_free(&batch);

	/* End of file without loop: nothing more, and no error. */
	assert_int_equal(port->class->recv(port, f->pool, &batch), 0);
	assert_int_equal(port->class->recv(port, f->pool, &batch), 0);
	assert_int_equal(batch.count, 0);
	port_destroy(port);
}

static void test_recv_fills_only_the_batch_room_and_resumes(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "in.pcap", path, sizeof(path));
	static const uint32_t lens[] = {60, 61, 62, 63, 64};
	write_capture(path, DLT_EN10MB, lens, 5);
	snprintf(option, sizeof(option), "rx=%s", path);
	const char *options[] = {option, NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);

	/* A batch with room for two: the slots before are not the port's. */
	struct packet_batch batch;
	memset(&batch, 0, sizeof(batch));
	batch.count = BATCH_SIZE - 2;
	assert_int_equal(port->class->recv(port, f->pool, &batch), 2);
	assert_int_equal(batch.count, BATCH_SIZE);
	assert_frame_is(batch.packets[BATCH_SIZE - 2]->data, batch.packets[BATCH_SIZE - 2]->len, 60,
			0);
	assert_frame_is(batch.packets[BATCH_SIZE - 1]->data, batch.packets[BATCH_SIZE - 1]->len, 61,
			1);
	packet_free(batch.packets[BATCH_SIZE - 2]);
	packet_free(batch.packets[BATCH_SIZE - 1]);

	packet_batch_init(&batch);
	assert_int_equal(port->class->recv(port, f->pool, &batch), 3);
	for (uint8_t i = 0; i < 3; i++)
		assert_frame_is(batch.packets[i]->data, batch.packets[i]->len, lens[i + 2],
				(uint8_t)(i + 2));
	packet_batch_free(&batch);
	port_destroy(port);
}

static void test_empty_pool_keeps_the_pending_frame_for_the_next_call(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "in.pcap", path, sizeof(path));
	static const uint32_t lens[] = {60, 70, 80};
	write_capture(path, DLT_EN10MB, lens, 3);
	snprintf(option, sizeof(option), "rx=%s", path);
	const char *options[] = {option, NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);

	struct packet_pool *small = packet_pool_create(2, 0);
	assert_non_null(small);
	struct packet_batch batch;
	packet_batch_init(&batch);
	assert_int_equal(port->class->recv(port, small, &batch), 2);
	/* The pool is empty: nothing is read, nothing is lost. */
	struct packet_batch more;
	packet_batch_init(&more);
	assert_int_equal(port->class->recv(port, small, &more), 0);
	packet_batch_free(&batch);

	assert_int_equal(port->class->recv(port, small, &batch), 1);
	assert_frame_is(batch.packets[0]->data, batch.packets[0]->len, 80, 2);
	packet_batch_free(&batch);
	assert_int_equal(port->class->recv(port, small, &batch), 0);
	assert_int_equal(port_stats_lost(&port->stats), 0);
	assert_int_equal(small->available, small->size);
	packet_pool_destroy(small);
	port_destroy(port);
}

static void test_loop_replays_the_file_from_the_start(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "in.pcap", path, sizeof(path));
	static const uint32_t lens[] = {60, 70, 80};
	write_capture(path, DLT_EN10MB, lens, 3);
	snprintf(option, sizeof(option), "rx=%s", path);
	const char *options[] = {option, "loop=yes", NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);

	/* Across calls and within one: the sequence wraps without a gap. */
	struct packet_batch batch;
	for (int round = 0; round < 3; round++) {
		packet_batch_init(&batch);
		assert_int_equal(port->class->recv(port, f->pool, &batch), 64);
		for (uint32_t i = 0; i < 64; i++) {
			uint32_t seq = (round * 64 + i) % 3;
			assert_frame_is(batch.packets[i]->data, batch.packets[i]->len, lens[seq],
					(uint8_t)seq);
		}
		packet_batch_free(&batch);
	}
	port_destroy(port);
}

static void test_loop_over_a_file_without_usable_frames_stops(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "in.pcap", path, sizeof(path));
	write_capture(path, DLT_EN10MB, NULL, 0);
	snprintf(option, sizeof(option), "rx=%s", path);
	const char *options[] = {option, "loop=yes", NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);

	struct packet_batch batch;
	packet_batch_init(&batch);
	assert_int_equal(port->class->recv(port, f->pool, &batch), 0);
	port_destroy(port);
}

static void test_oversize_frame_in_file_is_counted_and_skipped(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "in.pcap", path, sizeof(path));
	static const uint32_t lens[] = {60, 1000, 256, 257};
	write_capture(path, DLT_EN10MB, lens, 4);
	snprintf(option, sizeof(option), "rx=%s", path);
	const char *options[] = {option, NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);

	struct packet_pool *small = packet_pool_create(8, 256);
	assert_non_null(small);
	struct packet_batch batch;
	packet_batch_init(&batch);
	assert_int_equal(port->class->recv(port, small, &batch), 2);
	assert_frame_is(batch.packets[0]->data, batch.packets[0]->len, 60, 0);
	assert_frame_is(batch.packets[1]->data, batch.packets[1]->len, 256, 2);
	assert_int_equal(port->stats.rx_oversize, 2);
	packet_batch_free(&batch);
	assert_int_equal(small->available, small->size);
	packet_pool_destroy(small);
	port_destroy(port);
}

static void test_truncated_rx_file_gives_its_good_frames_then_an_error(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "in.pcap", path, sizeof(path));
	static const uint32_t lens[] = {60, 100};
	write_capture(path, DLT_EN10MB, lens, 2);
	/* Cut the last record short, as a writer that crashed leaves it. */
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 10), 0);
	snprintf(option, sizeof(option), "rx=%s", path);
	const char *options[] = {option, NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);

	struct packet_batch batch;
	packet_batch_init(&batch);
	assert_int_equal(port->class->recv(port, f->pool, &batch), 1);
	assert_frame_is(batch.packets[0]->data, batch.packets[0]->len, 60, 0);
	packet_batch_free(&batch);
	/* Reported once, then the port is quiet rather than failing forever. */
	assert_int_equal(port->class->recv(port, f->pool, &batch), -EIO);
	assert_int_equal(port->class->recv(port, f->pool, &batch), 0);
	assert_int_equal(batch.count, 0);
	port_destroy(port);
}

static void test_missing_rx_file_is_a_clear_error(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160], want[200];
	path_in(f, "absent.pcap", path, sizeof(path));
	snprintf(option, sizeof(option), "rx=%s", path);
	const char *options[] = {option, NULL};
	assert_null(port_create("cap0", "pcap", options, f->err, sizeof(f->err)));
	snprintf(want, sizeof(want), "port cap0: cannot open rx file '%s': ", path);
	assert_non_null(strstr(f->err, want));
	assert_non_null(strstr(f->err, "No such file or directory"));
}

static void test_unwritable_tx_file_is_a_clear_error(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160], want[200];
	path_in(f, "no-such-dir/out.pcap", path, sizeof(path));
	snprintf(option, sizeof(option), "tx=%s", path);
	const char *options[] = {option, NULL};
	assert_null(port_create("cap0", "pcap", options, f->err, sizeof(f->err)));
	snprintf(want, sizeof(want), "port cap0: cannot open tx file '%s': ", path);
	assert_non_null(strstr(f->err, want));
}

static void test_non_ethernet_file_is_rejected(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160], want[256];
	path_in(f, "raw.pcap", path, sizeof(path));
	static const uint32_t lens[] = {40};
	write_capture(path, DLT_RAW, lens, 1);
	snprintf(option, sizeof(option), "rx=%s", path);
	const char *options[] = {option, NULL};
	assert_null(port_create("cap0", "pcap", options, f->err, sizeof(f->err)));
	snprintf(want, sizeof(want),
		 "port cap0: rx file '%s' has link type LINKTYPE_RAW, need Ethernet (EN10MB)",
		 path);
	assert_string_equal(f->err, want);
}

static void test_unknown_option_is_rejected(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "out.pcap", path, sizeof(path));
	snprintf(option, sizeof(option), "tx=%s", path);
	const char *options[] = {option, "colour=blue", NULL};
	assert_null(port_create("cap0", "pcap", options, f->err, sizeof(f->err)));
	assert_string_equal(f->err,
			    "port cap0: unknown option 'colour' (type pcap takes: rx, tx, loop)");
	/* Rejected before anything was opened. */
	assert_int_equal(access(path, F_OK), -1);
}

static void test_port_without_rx_or_tx_is_rejected(void **state)
{
	struct fixture *f = *state;
	assert_null(port_create("cap0", "pcap", NULL, f->err, sizeof(f->err)));
	assert_string_equal(f->err, "port cap0: type pcap needs rx=FILE, tx=FILE or both");
	const char *options[] = {"loop=yes", NULL};
	assert_null(port_create("cap0", "pcap", options, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "port cap0: "));
}

static void test_bad_loop_value_is_rejected(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "in.pcap", path, sizeof(path));
	static const uint32_t lens[] = {60};
	write_capture(path, DLT_EN10MB, lens, 1);
	snprintf(option, sizeof(option), "rx=%s", path);
	const char *options[] = {option, "loop=maybe", NULL};
	assert_null(port_create("cap0", "pcap", options, f->err, sizeof(f->err)));
	assert_string_equal(f->err, "port cap0: loop 'maybe' must be yes or no");
}

static void test_same_file_for_rx_and_tx_is_rejected(void **state)
{
	struct fixture *f = *state;
	char path[128], rx[160], tx[200];
	path_in(f, "in.pcap", path, sizeof(path));
	static const uint32_t lens[] = {60};
	write_capture(path, DLT_EN10MB, lens, 1);
	snprintf(rx, sizeof(rx), "rx=%s", path);
	/* Another spelling of the same file. */
	snprintf(tx, sizeof(tx), "tx=%s/./in.pcap", f->dir);
	const char *options[] = {rx, tx, NULL};
	assert_null(port_create("cap0", "pcap", options, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "rx and tx must be different files"));
	/* The capture was not truncated. */
	char pcap_err[PCAP_ERRBUF_SIZE];
	pcap_t *check = pcap_open_offline(path, pcap_err);
	assert_non_null(check);
	struct pcap_pkthdr *header;
	const u_char *data;
	assert_int_equal(pcap_next_ex(check, &header, &data), 1);
	pcap_close(check);
}

static void test_rx_and_tx_on_one_port_work_together(void **state)
{
	struct fixture *f = *state;
	char in[128], out[128], rx[160], tx[160];
	path_in(f, "in.pcap", in, sizeof(in));
	path_in(f, "out.pcap", out, sizeof(out));
	static const uint32_t lens[] = {60, 90};
	write_capture(in, DLT_EN10MB, lens, 2);
	snprintf(rx, sizeof(rx), "rx=%s", in);
	snprintf(tx, sizeof(tx), "tx=%s", out);
	const char *options[] = {rx, tx, NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);
	assert_null(port->class->carrier);

	/* Echo what was read back out: the output file equals the input. */
	struct packet_batch batch;
	packet_batch_init(&batch);
	assert_int_equal(port->class->recv(port, f->pool, &batch), 2);
	port->class->send(port, &batch);
	assert_int_equal(batch.count, 0);
	assert_int_equal(port->stats.tx_packets, 2);
	port_destroy(port);

	char pcap_err[PCAP_ERRBUF_SIZE];
	pcap_t *check = pcap_open_offline(out, pcap_err);
	assert_non_null(check);
	for (uint8_t i = 0; i < 2; i++) {
		struct pcap_pkthdr *header;
		const u_char *data;
		assert_int_equal(pcap_next_ex(check, &header, &data), 1);
		assert_frame_is(data, header->caplen, lens[i], i);
	}
	pcap_close(check);
}

static void test_send_on_rx_only_port_frees_and_counts_tx_error(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "in.pcap", path, sizeof(path));
	static const uint32_t lens[] = {60};
	write_capture(path, DLT_EN10MB, lens, 1);
	snprintf(option, sizeof(option), "rx=%s", path);
	const char *options[] = {option, NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);

	send_frame(port, f->pool, 60, 0);
	send_frame(port, f->pool, 60, 1);
	assert_int_equal(port->stats.tx_packets, 0);
	assert_int_equal(port->stats.tx_errors, 2);
	assert_int_equal(f->pool->available, f->pool->size);
	port_destroy(port);
}

static void test_write_failure_is_counted_as_tx_error(void **state)
{
	struct fixture *f = *state;
	char path[128], option[160];
	path_in(f, "out.pcap", path, sizeof(path));
	snprintf(option, sizeof(option), "tx=%s", path);
	const char *options[] = {option, NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);

	/* A file size limit just past the pcap file header (24 bytes) makes the
	 * record write fail with EFBIG, like a full disk. */
	struct rlimit saved, limited;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	limited = saved;
	limited.rlim_cur = 64;
	void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &limited), 0);
	send_frame(port, f->pool, 1000, 0);
	/* Lift the limit before anything can fail and print to a file. */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, old_handler);

	assert_int_equal(port->stats.tx_packets, 0);
	assert_int_equal(port->stats.tx_bytes, 0);
	assert_int_equal(port->stats.tx_errors, 1);
	assert_int_equal(f->pool->available, f->pool->size);
	port_destroy(port);
}

/* The tcpdump on PATH (or in /usr/sbin), or NULL. */
static bool find_tcpdump(char *path, size_t size)
{
	const char *env = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin", env ? env : "");
	for (char *save, *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, size, "%s/tcpdump", dir);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

static void test_written_file_is_readable_by_tcpdump(void **state)
{
	struct fixture *f = *state;
	char tcpdump[512];
	if (!find_tcpdump(tcpdump, sizeof(tcpdump)))
		skip();
	char path[128], option[160];
	path_in(f, "out.pcap", path, sizeof(path));
	snprintf(option, sizeof(option), "tx=%s", path);
	const char *options[] = {option, NULL};
	struct port *port = open_port(f, options);
	assert_non_null(port);

	send_frame(port, f->pool, 60, 0);
	uint8_t frame[60];
	make_frame(frame, sizeof(frame), 1);
	struct packet_batch batch;
	packet_batch_init(&batch);
	struct packet *p = packet_from_bytes(f->pool, frame, sizeof(frame));
	assert_non_null(p);
	p->flags |= PACKET_F_META_VLAN;
	p->meta_tci = 42;
	packet_batch_add(&batch, p);
	port->class->send(port, &batch);

	/* While the port is open, as an operator watching a running switch. */
	char command[1024];
	snprintf(command, sizeof(command), "'%s' -r '%s' -nn -e 2>&1", tcpdump, path);
	FILE *out = popen(command, "r");
	assert_non_null(out);
	char line[512], text[4096] = "";
	int lines = 0;
	while (fgets(line, sizeof(line), out)) {
		if (strstr(line, "02:00:00:00:00:01 > 02:00:00:00:00:02"))
			lines++;
		strncat(text, line, sizeof(text) - strlen(text) - 1);
	}
	int status = pclose(out);
	port_destroy(port);
	if (status != 0 || lines != 2)
		fail_msg("tcpdump exit status %d, %d frames seen, output:\n%s", status, lines,
			 text);
	assert_non_null(strstr(text, "ethertype 802.1Q (0x8100), length 64: vlan 42"));
	assert_non_null(strstr(text, "ethertype Unknown (0x88b5), length 60"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_frames_sent_are_readable_by_libpcap, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_tx_file_is_a_valid_capture_before_anything_is_sent,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_metadata_vlan_tag_is_written_inline, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rx_file_frames_are_received_in_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_recv_fills_only_the_batch_room_and_resumes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_empty_pool_keeps_the_pending_frame_for_the_next_call, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loop_replays_the_file_from_the_start, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_loop_over_a_file_without_usable_frames_stops,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oversize_frame_in_file_is_counted_and_skipped,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_truncated_rx_file_gives_its_good_frames_then_an_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_rx_file_is_a_clear_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unwritable_tx_file_is_a_clear_error, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_non_ethernet_file_is_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_option_is_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_without_rx_or_tx_is_rejected, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_loop_value_is_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_file_for_rx_and_tx_is_rejected, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rx_and_tx_on_one_port_work_together, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_send_on_rx_only_port_frees_and_counts_tx_error,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_failure_is_counted_as_tx_error, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_written_file_is_readable_by_tcpdump, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
