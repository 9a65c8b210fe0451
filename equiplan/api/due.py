"""(placeholder: filled in by the due work of issue 4)"""
