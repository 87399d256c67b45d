/* remove_tree.h — removing a directory tree, for the tools that make scratch databases
 * (bench_write.c, bench_history.c, tour.c). */
#ifndef SKV_TOOLS_REMOVE_TREE_H
#define SKV_TOOLS_REMOVE_TREE_H

/* Removes path and everything under it; a missing path is fine. 0, or -1 with errno set. */
int remove_tree(const char *path);

#endif /* SKV_TOOLS_REMOVE_TREE_H */
