/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The side of the shim the tests call through ctypes: the header's inline
 * API functions as real symbols, BUG() caught with setjmp/longjmp, the
 * memory that gen_pool_dma_zalloc zeroes, and read-only views of a pool.
 */
#include "kshim.h"
#include <linux/genalloc.h>
#include <stdio.h>

#undef memset

unsigned long kshim_warnings;
unsigned long kshim_vmalloc_limit = 1UL << 32;

static jmp_buf bug_return;
static int bug_armed;
static int bug_line;

void kshim_bug(int line)
{
	if (!bug_armed) {
		/* Only the calls the tests expect to BUG are armed: anything else is a harness bug. */
		fprintf(stderr, "lib/genalloc.c:%d: BUG() in a call the harness does not catch\n", line);
		abort();
	}
	bug_line = line;
	longjmp(bug_return, 1);
}

void *kshim_vzalloc(size_t size)
{
	/* vmalloc rounds up to whole zeroed pages; one spare word stands in for that slack. */
	if (size > kshim_vmalloc_limit)
		return NULL;
	return calloc(1, size + sizeof(long));
}

/* Memory behind pool addresses: at most a few regions, registered by the tests. */
#define MAX_REGIONS 8
static struct {
	unsigned long virt;
	size_t len;
	unsigned char *buf;
} regions[MAX_REGIONS];
static int nregions;
static unsigned long faults;

int h_map(unsigned long virt, size_t len, unsigned char *buf)
{
	if (nregions == MAX_REGIONS)
		return -1;
	regions[nregions].virt = virt;
	regions[nregions].len = len;
	regions[nregions].buf = buf;
	nregions++;
	return 0;
}

void h_unmap_all(void)
{
	nregions = 0;
}

void *kshim_memset(void *s, int c, size_t n)
{
	unsigned long addr = (unsigned long)s;
	int i;

	for (i = 0; i < nregions; i++) {
		if (addr >= regions[i].virt && n <= regions[i].len && addr - regions[i].virt <= regions[i].len - n) {
			memset(regions[i].buf + (addr - regions[i].virt), c, n);
			return s;
		}
	}
	faults++;
	return s;
}

unsigned long h_faults(void)
{
	return faults;
}

/* The calls that can BUG: each returns the line of genalloc.c that called BUG, or 0. */
#define CATCH_BUG(call)                 \
	do {                            \
		if (setjmp(bug_return)) { \
			bug_armed = 0;  \
			return bug_line; \
		}                       \
		bug_armed = 1;          \
		call;                   \
		bug_armed = 0;          \
		return 0;               \
	} while (0)

int h_free_owner(struct gen_pool *pool, unsigned long addr, size_t size, void **owner)
{
	CATCH_BUG(gen_pool_free_owner(pool, addr, size, owner));
}

int h_free(struct gen_pool *pool, unsigned long addr, size_t size)
{
	CATCH_BUG(gen_pool_free(pool, addr, size));
}

int h_destroy(struct gen_pool *pool)
{
	CATCH_BUG(gen_pool_destroy(pool));
}

/* The header's inline functions, as symbols ctypes can call. */
int h_add(struct gen_pool *pool, unsigned long addr, size_t size, int nid)
{
	return gen_pool_add(pool, addr, size, nid);
}

int h_add_virt(struct gen_pool *pool, unsigned long addr, phys_addr_t phys, size_t size, int nid)
{
	return gen_pool_add_virt(pool, addr, phys, size, nid);
}

unsigned long h_alloc(struct gen_pool *pool, size_t size)
{
	return gen_pool_alloc(pool, size);
}

unsigned long h_alloc_owner(struct gen_pool *pool, size_t size, void **owner)
{
	return gen_pool_alloc_owner(pool, size, owner);
}

unsigned long h_alloc_algo(struct gen_pool *pool, size_t size, genpool_algo_t algo, void *data)
{
	return gen_pool_alloc_algo(pool, size, algo, data);
}

/* Reading a pool: its chunks newest first, as the kernel walks them. */
struct gen_pool_chunk *h_chunk(struct gen_pool *pool, int index)
{
	struct gen_pool_chunk *chunk;

	list_for_each_entry_rcu(chunk, &pool->chunks, next_chunk) {
		if (index-- == 0)
			return chunk;
	}
	return NULL;
}

void h_chunk_fields(struct gen_pool_chunk *chunk, unsigned long out[5])
{
	out[0] = chunk->start_addr;
	out[1] = chunk->end_addr;
	out[2] = (unsigned long)atomic_long_read(&chunk->avail);
	out[3] = chunk->phys_addr;
	out[4] = (unsigned long)chunk->owner;
}

unsigned long *h_chunk_bits(struct gen_pool_chunk *chunk)
{
	return chunk->bits;
}

genpool_algo_t h_pool_algo(struct gen_pool *pool)
{
	return pool->algo;
}

void *h_pool_data(struct gen_pool *pool)
{
	return pool->data;
}
