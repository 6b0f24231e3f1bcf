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

/* A model's recipe: the commands that made it and changed it, one a line,
 * oldest first ("vnca init --config tiny --seed 1", "vnca rewrite ...",
 * "vnca train ..."), each as canonical text, without the files: each line's
 * model is the one the line above made. */
#define VNCA_RECIPE_KEY "vnca.recipe"
/* Sets the recipe to the lines `before` (NULL: none) and then `line`.
 * Returns 0, or -1 when out of memory. */
int vnca_recipe_add(VncaMeta *m, const char *before, const char *line);

#endif
