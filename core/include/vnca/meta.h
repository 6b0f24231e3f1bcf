/* vnca/meta.h: an ordered string -> string map, the `__metadata__` of a model
 * file (configuration and training facts). Keys are unique; set replaces. */
#ifndef VNCA_META_H
#define VNCA_META_H

typedef struct VncaMetaEntry {
    char *key;
    char *value;
} VncaMetaEntry;

typedef struct VncaMeta {
    int n, cap;
    VncaMetaEntry *items;
} VncaMeta;

/* returns 0, or -1 when out of memory */
int vnca_meta_set(VncaMeta *m, const char *key, const char *value);
/* NULL when absent */
const char *vnca_meta_get(const VncaMeta *m, const char *key);
int vnca_meta_copy(VncaMeta *dst, const VncaMeta *src);
/* drops every entry whose key starts with prefix, keeping the others' order */
void vnca_meta_remove_prefix(VncaMeta *m, const char *prefix);
void vnca_meta_free(VncaMeta *m);

#endif
