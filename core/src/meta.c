/* An ordered string -> string map. Lookups are linear: a model's metadata has
 * a few dozen entries, and keeping insertion order makes files diffable. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnca/meta.h"

static VncaMetaEntry *find_entry(const VncaMeta *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->items[i].key, key) == 0) return &m->items[i];
    return NULL;
}

static int reserve_one(VncaMeta *m)
{
    if (m->n < m->cap) return 0;
    if (m->cap > INT_MAX / 2) return -1;
    int cap = m->cap ? 2 * m->cap : 8;
    VncaMetaEntry *items = realloc(m->items, (size_t)cap * sizeof *items);
    if (!items) return -1;
    m->items = items;
    m->cap = cap;
    return 0;
}

int vnca_meta_set(VncaMeta *m, const char *key, const char *value)
{
    char *value_copy = strdup(value);
    if (!value_copy) return -1;
    VncaMetaEntry *e = find_entry(m, key);
    if (e) {
        free(e->value);
        e->value = value_copy;
        return 0;
    }
    char *key_copy = strdup(key);
    if (!key_copy || reserve_one(m)) {
        free(key_copy);
        free(value_copy);
        return -1;
    }
    m->items[m->n++] = (VncaMetaEntry){key_copy, value_copy};
    return 0;
}

const char *vnca_meta_get(const VncaMeta *m, const char *key)
{
    const VncaMetaEntry *e = find_entry(m, key);
    return e ? e->value : NULL;
}

/* Builds the copy aside and swaps it in, so that a failure leaves dst as it was. */
int vnca_meta_copy(VncaMeta *dst, const VncaMeta *src)
{
    if (dst == src) return 0;
    VncaMeta copy = {0};
    for (int i = 0; i < src->n; i++) {
        if (vnca_meta_set(&copy, src->items[i].key, src->items[i].value)) {
            vnca_meta_free(&copy);
            return -1;
        }
    }
    vnca_meta_free(dst);
    *dst = copy;
    return 0;
}

void vnca_meta_remove_prefix(VncaMeta *m, const char *prefix)
{
    const size_t len = strlen(prefix);
    int kept = 0;
    for (int i = 0; i < m->n; i++) {
        if (strncmp(m->items[i].key, prefix, len) == 0) {
            free(m->items[i].key);
            free(m->items[i].value);
        } else {
            m->items[kept++] = m->items[i];
        }
    }
    m->n = kept;
}

void vnca_meta_free(VncaMeta *m)
{
    for (int i = 0; i < m->n; i++) {
        free(m->items[i].key);
        free(m->items[i].value);
    }
    free(m->items);
    *m = (VncaMeta){0};
}

int vnca_recipe_add(VncaMeta *m, const char *before, const char *line)
{
    const size_t len = (before ? strlen(before) + 1 : 0) + strlen(line) + 1;
    char *recipe = malloc(len);
    if (!recipe) return -1;
    snprintf(recipe, len, "%s%s%s", before ? before : "", before ? "\n" : "", line);
    const int rc = vnca_meta_set(m, VNCA_RECIPE_KEY, recipe);
    free(recipe);
    return rc;
}
