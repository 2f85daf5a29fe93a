UNIT_TESTS += vmcb_clean
vmcb_clean_SRCS := arch/x86_64/svm/vmcb_clean.c
