#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int c,char**v){int secs=atoi(v[1]);int n=secs*200;double*l=malloc(n*sizeof(double));
for(int i=0;i<n;i++){double t0=now();struct timespec d={0,5000000};nanosleep(&d,0);l[i]=now()-t0-5;}
qsort(l,n,sizeof(double),cmp);int o=0;for(int i=0;i<n;i++)if(l[i]>20)o++;
printf("C n=%d p50=%.1f p99=%.1f p999=%.1f max=%.1f over20=%d\n",n,l[n/2],l[n*99/100],l[n*999/1000],l[n-1],o);}
