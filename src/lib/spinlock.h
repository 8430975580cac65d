/* spinlock.h — the lock poll threads take around a port's send() and a
 * MAC table's writes: held for a batch at most, never across a system call
 * that may block, so spinning beats sleeping in the kernel. Free when
 * uncontended but for one atomic exchange and one store. */
#ifndef VSWITCH_SPINLOCK_H
#define VSWITCH_SPINLOCK_H

#include <stdint.h>

#include "util.h"

struct spinlock {
	uint32_t locked;
};

static inline void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
