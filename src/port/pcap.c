/* pcap.c — a port backed by pcap files: `rx=FILE` replays the frames of a
 * capture into the switch (`loop=yes` starts it over at the end, for
 * benchmarks), and `tx=FILE` writes every frame the switch sends as a pcap
 * record, flushed after each batch so tcpdump can read it while we run.
 * Lets a scenario be driven and checked with ordinary capture tools, without
 * root or network namespaces. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/util.h"
#include "port.h"

/* The largest frame a packet holds, plus the tag send() may insert. */
#define PCAP_SNAPLEN   65535
#define PCAP_FRAME_MAX (65535 + VLAN_TAG_LEN)

enum pcap_rx_state {
	PCAP_RX_READING,
	PCAP_RX_FAILED, /* a read error not yet reported by recv() */
	PCAP_RX_DONE,	/* end of file without loop, or an error already reported */
};

struct pcap_port {
	/* Receive side; rx is NULL without rx=FILE. */
	pcap_t *rx;
	char *rx_path;
	bool loop;
	enum pcap_rx_state rx_state;
	/* A frame read from the file that did not fit into the last call (no
	 * buffer in the pool); its data stays valid until the next
	 * pcap_next_ex(), which we do not call while it waits. */
	bool has_pending;
	struct pcap_pkthdr pending_header;
	const uint8_t *pending_data;
	/* Frames delivered since the file was (re)opened: a file with nothing
	 * deliverable in it must not be reopened forever. */
	uint64_t delivered_since_open;

	/* Transmit side; dumper is NULL without tx=FILE. */
	pcap_t *tx_dead;
	pcap_dumper_t *dumper;
	uint8_t *tag_scratch; /* a frame with its metadata tag made inline */
};

/* Opens a capture for reading and checks that it holds Ethernet frames. */
static int rx_file_open(const struct port *port, const char *path, pcap_t **out, char *err,
			size_t err_size)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	int error = 0;
	pcap_t *rx = pcap_open_offline(path, pcap_err);
	if (!rx) {
		snprintf(err, err_size, "port %s: cannot open rx file '%s': %s", port->name, path,
			 pcap_err);
		error = -EINVAL;
		goto out;
	}
	int link_type = pcap_datalink(rx);
	if (link_type != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(link_type);
		char number[16];
		snprintf(number, sizeof(number), "%d", link_type);
		snprintf(err, err_size,
			 "port %s: rx file '%s' has link type %s%s, need Ethernet (EN10MB)",
			 port->name, path, name ? "LINKTYPE_" : "", name ? name : number);
		error = -EPROTONOSUPPORT;
		goto out;
	}
	*out = rx;
	rx = NULL;
out:
	if (rx)
		pcap_close(rx);
	return error;
}

static int tx_file_open(const struct port *port, struct pcap_port *cap, const char *path, char *err,
			size_t err_size)
{
	int error = 0;
	cap->tx_dead = pcap_open_dead(DLT_EN10MB, PCAP_SNAPLEN);
	cap->tag_scratch = malloc(PCAP_FRAME_MAX);
	if (!cap->tx_dead || !cap->tag_scratch) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		error = -ENOMEM;
		goto out;
	}
	errno = 0;
	cap->dumper = pcap_dump_open(cap->tx_dead, path);
	if (!cap->dumper) {
		error = errno ? -errno : -EIO;
		snprintf(err, err_size, "port %s: cannot open tx file '%s': %s", port->name, path,
			 pcap_geterr(cap->tx_dead));
		goto out;
	}
	/* Put the file header on disk now, so a reader started before the
	 * first frame sees a valid, empty capture rather than an empty file. */
	errno = 0;
	if (pcap_dump_flush(cap->dumper) < 0) {
		error = errno ? -errno : -EIO;
		snprintf(err, err_size, "port %s: cannot write tx file '%s': %s", port->name, path,
			 strerror(-error));
		goto out;
	}
out:
	return error;
}

/* Releases whatever part of the state is set; safe on a half-opened port. */
static void pcap_port_free(struct pcap_port *cap)
{
	if (!cap)
		return;
	if (cap->rx)
		pcap_close(cap->rx);
	if (cap->dumper)
		pcap_dump_close(cap->dumper);
	if (cap->tx_dead)
		pcap_close(cap->tx_dead);
	free(cap->tag_scratch);
	free(cap->rx_path);
	free(cap);
}

/* True when both paths name the same existing file: writing tx would
 * truncate the capture we are reading. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	if (strcmp(a, b) == 0)
		return true;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int pcap_port_open(struct port *port, const char *const *options, char *err, size_t err_size)
{
	static const char *const known[] = {"rx", "tx", "loop", NULL};
	struct pcap_port *cap = NULL;
	int error = port_check_options(port, options, known, err, err_size);
	if (error)
		goto out;

	const char *rx_path = port_option(options, "rx");
	const char *tx_path = port_option(options, "tx");
	const char *loop = port_option(options, "loop");
	if (!rx_path && !tx_path) {
		snprintf(err, err_size, "port %s: type pcap needs rx=FILE, tx=FILE or both",
			 port->name);
		error = -EINVAL;
		goto out;
	}
	if ((rx_path && !rx_path[0]) || (tx_path && !tx_path[0])) {
		snprintf(err, err_size, "port %s: %s= needs a file name", port->name,
			 rx_path && !rx_path[0] ? "rx" : "tx");
		error = -EINVAL;
		goto out;
	}
	if (loop && strcmp(loop, "yes") != 0 && strcmp(loop, "no") != 0) {
		snprintf(err, err_size, "port %s: loop '%s' must be yes or no", port->name, loop);
		error = -EINVAL;
		goto out;
	}
	if (loop && strcmp(loop, "yes") == 0 && !rx_path) {
		snprintf(err, err_size, "port %s: loop=yes needs rx=FILE to replay", port->name);
		error = -EINVAL;
		goto out;
	}
	if (rx_path && tx_path && same_file(rx_path, tx_path)) {
		snprintf(err, err_size, "port %s: rx and tx must be different files ('%s')",
			 port->name, rx_path);
		error = -EINVAL;
		goto out;
	}

	cap = calloc(1, sizeof(*cap));
	if (!cap) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		error = -ENOMEM;
		goto out;
	}
	if (rx_path) {
		cap->rx_path = strdup(rx_path);
		if (!cap->rx_path) {
			snprintf(err, err_size, "port %s: out of memory", port->name);
			error = -ENOMEM;
			goto out;
		}
		cap->loop = loop && strcmp(loop, "yes") == 0;
		cap->rx_state = PCAP_RX_READING;
		error = rx_file_open(port, rx_path, &cap->rx, err, err_size);
		if (error)
			goto out;
	}
	if (tx_path) {
		error = tx_file_open(port, cap, tx_path, err, err_size);
		if (error)
			goto out;
	}
	port->priv = cap;
	cap = NULL;
out:
	pcap_port_free(cap);
	return error;
}

static void pcap_port_close(struct port *port)
{
	pcap_port_free(port->priv);
	port->priv = NULL;
}

/* Starts the capture over for loop=yes. False when it cannot be read again. */
static bool rx_rewind(const struct port *port, struct pcap_port *cap)
{
	char err[PCAP_ERRBUF_SIZE + 256];
	pcap_t *rx = NULL;
	/* The old handle goes first: the pending frame is never set at end of
	 * file, so nothing points into its buffer. */
	pcap_close(cap->rx);
	cap->rx = NULL;
	if (rx_file_open(port, cap->rx_path, &rx, err, sizeof(err)) < 0)
		return false;
	cap->rx = rx;
	cap->delivered_since_open = 0;
	return true;
}

/* Reads the next record into the pending slot. Returns 1 when there is one,
 * 0 at the end of the capture, or -EIO. */
static int rx_next(const struct port *port, struct pcap_port *cap)
{
	for (;;) {
		struct pcap_pkthdr *header;
		const u_char *data;
		int r = pcap_next_ex(cap->rx, &header, &data);
		if (r == 1) {
			cap->pending_header = *header;
			cap->pending_data = data;
			cap->has_pending = true;
			return 1;
		}
		if (r != PCAP_ERROR_BREAK)
			return -EIO; /* a truncated or corrupt record */
		if (!cap->loop || cap->delivered_since_open == 0)
			return 0;
		if (!rx_rewind(port, cap))
			return -EIO;
	}
}

static int pcap_port_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct pcap_port *cap = port->priv;
	int received = 0;
	if (!cap->rx_path || cap->rx_state == PCAP_RX_DONE)
		return 0;
	if (cap->rx_state == PCAP_RX_FAILED) {
		cap->rx_state = PCAP_RX_DONE;
		return -EIO;
	}
	while (batch->count < BATCH_SIZE) {
		if (!cap->has_pending) {
			int r = rx_next(port, cap);
			if (r == 0) {
				cap->rx_state = PCAP_RX_DONE;
				break;
			}
			if (r < 0) {
				/* Hand over what we have; the next call reports the error. */
				cap->rx_state = PCAP_RX_FAILED;
				break;
			}
		}
		/* A capture taken with a short snap length holds only caplen bytes
		 * of each frame; that is all there is to replay. */
		uint32_t len = cap->pending_header.caplen;
		if (len > pool->data_room) {
			port->stats.rx_oversize += 1;
			cap->has_pending = false;
			continue;
		}
		struct packet *p = packet_alloc(pool);
		if (!p)
			break; /* keep the frame for the next call */
		memcpy(p->data, cap->pending_data, len);
		p->len = (uint16_t)len;
		packet_batch_add(batch, p);
		cap->has_pending = false;
		cap->delivered_since_open++;
		received++;
	}
	return received;
}

/* Writes one frame and returns its length in the file; a pcap file has no
 * place for metadata, so a tag the kernel stripped goes back inline where a
 * capture on the wire shows it. */
static uint32_t dump_frame(struct pcap_port *cap, const struct packet *p, struct timeval now)
{
	struct pcap_pkthdr header = {.ts = now, .caplen = p->len, .len = p->len};
	const uint8_t *data = p->data;
	if ((p->flags & PACKET_F_META_VLAN) && p->len >= 12) {
		uint8_t *frame = cap->tag_scratch;
		memcpy(frame, p->data, 12);
		store_be16(frame + 12, ETH_TYPE_VLAN);
		store_be16(frame + 14, p->meta_tci);
		memcpy(frame + 12 + VLAN_TAG_LEN, p->data + 12, p->len - 12u);
		header.caplen = header.len = p->len + VLAN_TAG_LEN;
		data = frame;
	}
	pcap_dump((u_char *)cap->dumper, &header, data);
	return header.len;
}

static void pcap_port_send(struct port *port, struct packet_batch *batch)
{
	struct pcap_port *cap = port->priv;
	uint64_t written = 0, bytes = 0;
	if (!cap->dumper) {
		/* An rx-only port has nowhere to put frames. */
		port->stats.tx_errors += batch->count;
		goto out;
	}
	/* One clock read per batch: the frames of a batch leave together. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct timeval now = {.tv_sec = ts.tv_sec, .tv_usec = ts.tv_nsec / 1000};
	for (uint32_t i = 0; i < batch->count; i++) {
		bytes += dump_frame(cap, batch->packets[i], now);
		written++;
	}
	/* stdio hides which record a failed write belonged to, so a failure
	 * counts the whole batch as not sent. */
	FILE *file = pcap_dump_file(cap->dumper);
	if (pcap_dump_flush(cap->dumper) < 0 || ferror(file)) {
		clearerr(file);
		port->stats.tx_errors += written;
		goto out;
	}
	port->stats.tx_packets += written;
	port->stats.tx_bytes += bytes;
out:
	packet_batch_free(batch);
}

const struct port_class pcap_port_class = {
    .type = "pcap",
    .open = pcap_port_open,
    .close = pcap_port_close,
    .recv = pcap_port_recv,
    .send = pcap_port_send,
    .carrier = NULL,
};
