/* callgrind_shim.h — callgrind's client requests for the engine benchmarks,
 * which count instructions only inside their timed region. The requests are
 * a handful of register rotations when not under valgrind (a few
 * instructions per 256-packet batch), so they stay in the timed region
 * unconditionally; without valgrind's header they compile away. */
#ifndef VSWITCH_BENCH_CALLGRIND_SHIM_H
#define VSWITCH_BENCH_CALLGRIND_SHIM_H

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#define CALLGRIND_TOGGLE_COLLECT
#endif

#endif
