/* capture.h — `vswitchctl capture PORT [count N] [direction rx|tx|both]`:
 * a live capture of one port, streamed to the client over the control
 * socket. The engine copies the port's frames into a bounded ring (a
 * mirror with MIRROR_TO_CAPTURE, mirror.c), the control thread drains it
 * into the client's connection as fast as the client reads; a slow client
 * loses frames (counted, reported at the end), never stalls forwarding.
 *
 * On the socket, after the JSON-RPC reply line, come records of the form
 * below (host byte order: both ends are on one machine); vswitchctl writes
 * them as pcap to its stdout. */
#ifndef VSWITCH_CAPTURE_H
#define VSWITCH_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPTURE_MAGIC_FRAME 0x76734672u /* a frame follows: caplen bytes */
#define CAPTURE_MAGIC_END   0x76734564u /* the last record: struct capture_end */

struct capture_frame {
	uint32_t magic;
	uint32_t caplen;    /* bytes that follow */
	uint32_t len;	    /* the frame's length on the wire */
	uint32_t direction; /* MIRROR_RX or MIRROR_TX */
	uint64_t time_ns;   /* CLOCK_REALTIME */
};

struct capture_end {
	uint32_t magic;
	uint32_t pad;
	uint64_t captured; /* frames streamed */
	uint64_t dropped;  /* frames lost because the client read too slowly */
};

struct capture;
struct control_state;

/* Starts capturing per argv (PORT [count N] [direction rx|tx|both]): the
 * port gets a tap in the engine. NULL with err set. Control thread. */
struct capture *capture_open(struct control_state *state, int argc, char **argv, char *err,
			     size_t err_size);
/* Moves what the ring holds into out as records, whole ones only, at most
 * `room` bytes (room >= 64 KiB). After the count is reached it removes the
 * tap and appends the end record, and sets *done. Returns bytes written. */
size_t capture_read(struct capture *c, uint8_t *out, size_t room, bool *done);
/* Removes the tap (if still there) and frees the capture; NULL is a no-op.
 * Every way a capture ends comes here: count reached, the client gone,
 * Ctrl-C, the daemon stopping. */
void capture_close(struct capture *c);

/* The control server's stream handler (server.h) for `state`. */
void *capture_stream_open(void *state, int argc, char **argv, char *err, size_t err_size);
size_t capture_stream_read(void *state, void *stream, uint8_t *out, size_t room, bool *done);
void capture_stream_close(void *state, void *stream);

#endif
