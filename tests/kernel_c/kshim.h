/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Our user-space stand-in for every kernel header lib/genalloc.c includes,
 * so that the file compiles unmodified into a shared library the tests
 * drive with ctypes.  Locking and RCU become nothing (the harness is single
 * threaded), lists are plain doubly linked lists, atomics plain longs,
 * BUG() a longjmp back to the harness and WARN_ON a counter.  The bit
 * searches are not here: tests/kernel_build.py cuts them out of the
 * kernel's own lib/bitmap.c, lib/find_bit.c and headers into
 * kernel_bitsearch.h, included at the end.
 */
#ifndef KSHIM_H
#define KSHIM_H

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t u64;
typedef uint64_t phys_addr_t;
typedef uint64_t dma_addr_t;
typedef unsigned int gfp_t;

#define GFP_KERNEL 0u
#define NUMA_NO_NODE (-1)
/* Skips the in_nmi() check, which has no meaning here. */
#define CONFIG_ARCH_HAVE_NMI_SAFE_CMPXCHG 1

#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __always_inline inline __attribute__((__always_inline__))
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define cpu_relax() do { } while (0)
#define try_cmpxchg(ptr, oldp, new) \
	__atomic_compare_exchange_n((ptr), (oldp), (new), 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define min(x, y) ((x) < (y) ? (x) : (y))

/* The word arithmetic of include/linux/bits.h and bitmap.h, for 64-bit longs. */
#define BITS_PER_LONG 64
#define BIT_WORD(nr) ((nr) / BITS_PER_LONG)
#define BITS_TO_LONGS(nr) (((nr) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define BITMAP_FIRST_WORD_MASK(start) (~0UL << ((start) & (BITS_PER_LONG - 1)))
#define BITMAP_LAST_WORD_MASK(nbits) (~0UL >> (-(nbits) & (BITS_PER_LONG - 1)))
#define GENMASK(h, l) (((~0UL) - (1UL << (l)) + 1) & (~0UL >> (BITS_PER_LONG - 1 - (h))))
#define small_const_nbits(nbits) \
	(__builtin_constant_p(nbits) && (nbits) <= BITS_PER_LONG && (nbits) > 0)
#define __ALIGN_MASK(x, mask) (((x) + (mask)) & ~(mask))
#define __ffs(word) ((unsigned long)__builtin_ctzl(word))
#define ffz(word) __ffs(~(word))

static inline int fls_long(unsigned long x)
{
	return x ? BITS_PER_LONG - __builtin_clzl(x) : 0;
}

/* The run-time half of include/linux/log2.h's roundup_pow_of_two(). */
static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	return 1UL << fls_long(n - 1);
}

/* BUG() and WARN_ON(): the harness (harness.c) catches the one, counts the other. */
extern unsigned long kshim_warnings;
void kshim_bug(int line) __attribute__((__noreturn__));
#define BUG() kshim_bug(__LINE__)
#define BUG_ON(condition) do { if (unlikely(condition)) BUG(); } while (0)
#define WARN_ON(condition) ({ int __ret = !!(condition); if (unlikely(__ret)) kshim_warnings++; unlikely(__ret); })
#define in_nmi() 0

/* Memory: vzalloc refuses what the harness says cannot be had. */
extern unsigned long kshim_vmalloc_limit;
void *kshim_vzalloc(size_t size);
#define kmalloc_node(size, gfp, nid) calloc(1, (size))
#define vzalloc_node(size, nid) kshim_vzalloc(size)
#define kfree(p) free((void *)(p))
#define vfree(p) free((void *)(p))
#define kfree_const(p) free((void *)(p))
#define kstrdup_const(s, gfp) strdup(s)
#define ERR_PTR(error) ((void *)(long)(error))
/* The addresses in a pool are not this process's: zeroing goes to the harness's mapping. */
void *kshim_memset(void *s, int c, size_t n);
#define memset kshim_memset

/* Spinlocks, RCU and atomics: the harness calls in from one thread. */
typedef struct { int unused; } spinlock_t;
#define spin_lock_init(lock) do { (void)(lock); } while (0)
#define spin_lock(lock) do { (void)(lock); } while (0)
#define spin_unlock(lock) do { (void)(lock); } while (0)
#define rcu_read_lock() do { } while (0)
#define rcu_read_unlock() do { } while (0)

typedef struct { long counter; } atomic_long_t;
#define atomic_long_read(v) ((v)->counter)
#define atomic_long_set(v, i) ((v)->counter = (i))
#define atomic_long_add(i, v) ((v)->counter += (i))
#define atomic_long_sub(i, v) ((v)->counter -= (i))

/* Lists. */
struct list_head {
	struct list_head *next, *prev;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define list_entry(ptr, type, member) container_of(ptr, type, member)

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}

static inline void list_add_rcu(struct list_head *new, struct list_head *head)
{
	new->next = head->next;
	new->prev = head;
	head->next->prev = new;
	head->next = new;
}

static inline void list_del(struct list_head *entry)
{
	entry->prev->next = entry->next;
	entry->next->prev = entry->prev;
}

#define list_for_each_entry_rcu(pos, head, member)                          \
	for (pos = list_entry((head)->next, __typeof__(*pos), member);      \
	     &pos->member != (head);                                        \
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))
#define list_for_each_safe(pos, n, head) \
	for (pos = (head)->next, n = pos->next; pos != (head); pos = n, n = pos->next)

/* Device-managed pools are not driven from here; these only let the file compile. */
struct device;
typedef void (*dr_release_t)(struct device *dev, void *res);
typedef int (*dr_match_t)(struct device *dev, void *res, void *match_data);

static inline void *devres_find(struct device *dev, dr_release_t release, dr_match_t match, void *match_data)
{
	(void)dev, (void)release, (void)match, (void)match_data;
	return NULL;
}

#define devres_alloc(release, size, gfp) calloc(1, (size))
#define devres_add(dev, res) do { (void)(dev); (void)(res); } while (0)
#define devres_free(res) free(res)

#include "kernel_bitsearch.h"

#endif /* KSHIM_H */
